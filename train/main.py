"""python -m train.main --config=train/configs/NAME.py --workdir=DIR [--config.KEY=VALUE]"""

from absl import app
from absl import flags
from absl import logging
import jax
from ml_collections import config_flags

from jsemrep import runtime
from train import train

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file('config', None, 'Training configuration file.', lock_config=True)
flags.DEFINE_string('workdir', None, 'Directory for checkpoints, metrics and TensorBoard events.')
flags.DEFINE_bool('distributed', False, 'Call jax.distributed.initialize() (multi-host).')
flags.mark_flags_as_required(['config', 'workdir'])


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  logging.set_verbosity(logging.WARNING)
  if FLAGS.distributed:
    jax.distributed.initialize()
  train.train_and_evaluate(FLAGS.config, FLAGS.workdir)


if __name__ == '__main__':
  runtime.reexec_with_huge_pages()
  app.run(main)
