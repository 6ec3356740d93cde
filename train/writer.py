"""Where training metrics go: metrics.jsonl, TensorBoard scalars and a progress line."""

import datetime
import json
import os
import time

from tensorboardX import SummaryWriter


class MetricsWriter:
  """Appends one JSON object per logged step to DIR/metrics.jsonl, writes the same
  scalars as TensorBoard events under DIR/tensorboard, and prints a progress line
  with steps/s, images/s, ETA and the losses."""

  def __init__(self, workdir, num_steps, batch_size, first_step=0):
    os.makedirs(workdir, exist_ok=True)
    self._jsonl = open(os.path.join(workdir, 'metrics.jsonl'), 'a', encoding='utf-8')
    self._tb = SummaryWriter(os.path.join(workdir, 'tensorboard'))
    self._num_steps = num_steps
    self._batch_size = batch_size
    self._last = (first_step, time.perf_counter())

  def write(self, step, scalars):
    now = time.perf_counter()
    steps_per_s = (step - self._last[0]) / max(now - self._last[1], 1e-9)
    self._last = (step, now)
    record = {'step': step, **{k: float(v) for k, v in scalars.items()},
              'steps_per_s': steps_per_s, 'images_per_s': steps_per_s * self._batch_size}
    self._jsonl.write(json.dumps(record) + '\n')
    self._jsonl.flush()
    for name, value in record.items():
      if name != 'step':
        self._tb.add_scalar(name, value, step)
    eta = datetime.timedelta(seconds=round((self._num_steps - step) / max(steps_per_s, 1e-9)))
    losses = ' '.join(f'{k} {float(v):.4f}' for k, v in scalars.items())
    print(f'step {step}/{self._num_steps} | {steps_per_s:.2f} steps/s '
          f'{record["images_per_s"]:.0f} img/s | ETA {eta} | {losses}', flush=True)
    return record

  def close(self):
    self._jsonl.close()
    self._tb.close()
