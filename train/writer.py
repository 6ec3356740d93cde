"""Where training metrics go: metrics.jsonl (strict JSON: a non-finite value is written
as null and named under `nonfinite`), TensorBoard scalars and a progress line."""

import datetime
import json
import math
import os
import time

from tensorboardX import SummaryWriter

from jsemrep import parallel


class MetricsWriter:
  """Appends one JSON object per logged step to DIR/metrics.jsonl, writes the same
  scalars as TensorBoard events under DIR/tensorboard, and prints a progress line
  with steps/s, images/s, ETA and the losses."""

  def __init__(self, workdir, num_steps, batch_size, first_step=0, enabled=True):
    self._enabled = enabled      # False: compute the record only (the other processes)
    if enabled:
      os.makedirs(workdir, exist_ok=True)
      path = os.path.join(workdir, 'metrics.jsonl')
      _drop_records_after(path, first_step)
      self._jsonl = open(path, 'a', encoding='utf-8')
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
    if not self._enabled:
      return record
    self._jsonl.write(json.dumps(strict_json(record), allow_nan=False) + '\n')
    self._jsonl.flush()
    for name, value in record.items():
      if name != 'step' and math.isfinite(value):   # a non-finite value stops training anyway
        self._tb.add_scalar(name, value, step)
    eta = datetime.timedelta(seconds=round((self._num_steps - step) / max(steps_per_s, 1e-9)))
    losses = ' '.join(f'{k} {float(v):.4f}' for k, v in scalars.items())
    print(f'step {step}/{self._num_steps} | {steps_per_s:.2f} steps/s '
          f'{record["images_per_s"]:.0f} img/s | ETA {eta} | {losses}', flush=True)
    return record

  def close(self):
    if self._enabled:
      self._jsonl.close()
      self._tb.close()


def strict_json(record):
  """The record as strict JSON: a non-finite value becomes null and its name is listed
  under `nonfinite` (bare NaN tokens are rejected by strict JSON readers)."""
  bad = sorted(k for k, v in record.items() if isinstance(v, float) and not math.isfinite(v))
  if not bad:
    return record
  return {**{k: (None if k in bad else v) for k, v in record.items()}, 'nonfinite': bad}


def _drop_records_after(path, step):
  """Removes records of steps after `step` (logged after the checkpoint a run resumes
  from), so a resumed run's metrics.jsonl has each step once."""
  if not os.path.exists(path):
    return
  with open(path, encoding='utf-8') as f:
    lines = f.readlines()
  keep = []
  for line in lines:
    try:
      if json.loads(line)['step'] <= step:
        keep.append(line)
    except (ValueError, KeyError, TypeError):
      continue   # a line cut short by a crash
  if len(keep) != len(lines):
    with open(path, 'w', encoding='utf-8') as f:
      f.writelines(keep)


def say(text):
  """Prints on process 0 only (every process of a multi-host run computes the same)."""
  if parallel.is_primary():
    print(text, flush=True)
