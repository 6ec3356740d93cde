"""python -m bench.sweep [--steps=600] [--variants=4] [--modes=separate,sequential,vmap]:
wall time of training K seeds of the demo config (ATNL on mnist5k) three ways —
K separate `train.main` processes one after the other, one sweep process stepping
the variants one after the other through one compiled step (`sequential`), and one
sweep process stepping all of them at once (`vmap`) — and the images/s each gives.
Every way runs the real program end to end (start-up, data loading, compiling,
checkpoints), in a fresh temporary directory."""

from jsemrep import runtime

if __name__ == '__main__':
  runtime.prepare_process()   # before JAX is imported

# pylint: disable=wrong-import-position

import os
import subprocess
import sys
import tempfile
import time

from absl import app
from absl import flags
import jax
from ml_collections import config_flags

FLAGS = flags.FLAGS
flags.DEFINE_integer('steps', 600, 'Training steps of every variant (600: the demo schedule).')
flags.DEFINE_integer('variants', 4, 'Seeds trained (K).')
flags.DEFINE_list('modes', ['separate', 'sequential', 'vmap'], 'Ways to train them.')
config_flags.DEFINE_config_file('config', 'train/configs/demo.py', 'Training config file.')

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def train(workdir, *overrides):
  config_file = config_flags.get_config_filename(FLAGS['config'])
  command = [sys.executable, '-m', 'train.main', f'--config={config_file}', f'--workdir={workdir}',
             f'--config.num_steps={FLAGS.steps}', f'--config.checkpoint_every={FLAGS.steps}',
             f'--config.log_every={max(FLAGS.steps // 4, 1)}', '--config.eval_every=0', *overrides]
  subprocess.run(command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def timed(fn):
  start = time.perf_counter()
  fn()
  return time.perf_counter() - start


def main(argv):
  del argv
  seeds = ','.join(str(s) for s in range(FLAGS.variants))
  images = FLAGS.variants * FLAGS.steps * FLAGS.config.batch_size
  print(f'device: {jax.devices()[0].device_kind} x{jax.device_count()} | '
        f'{config_flags.get_config_filename(FLAGS["config"])} | '
        f'{FLAGS.variants} seeds x {FLAGS.steps} steps')
  with tempfile.TemporaryDirectory() as tmp:
    ways = {
        'separate': lambda: [train(os.path.join(tmp, 'separate', f'seed{s}'), f'--config.seed={s}')
                             for s in range(FLAGS.variants)],
        'sequential': lambda: train(os.path.join(tmp, 'sequential'), f'--config.sweep=seed={seeds}'),
        'vmap': lambda: train(os.path.join(tmp, 'vmap'), f'--config.sweep=seed={seeds}',
                              '--config.sweep_mode=vmap'),
    }
    for mode in FLAGS.modes:
      seconds = timed(ways[mode])
      print(f'{mode:10s} {seconds:7.1f} s wall | {images / seconds:,.0f} images/s over all '
            f'{FLAGS.variants} runs', flush=True)


if __name__ == '__main__':
  app.run(main)
