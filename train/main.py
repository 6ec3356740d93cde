"""python -m train.main --config=train/configs/NAME.py --workdir=DIR [--config.KEY=VALUE]

Exit status: 0 done; 1 an error (one line on stderr: divergence, a bad checkpoint or
data source, a busy workdir); 2 a bad command line or config; 75 stopped by SIGTERM
or SIGINT after saving the current step (run the same command to continue).
"""

import signal
import sys

from jsemrep import runtime
from jsemrep.errors import os_error_line, quiet_exit

EXIT_STOPPED = 75   # EX_TEMPFAIL, as train.Preempted


def stop_outside_the_loop(signum, frame):
  """SIGTERM/SIGINT while starting up (imports, data, restore, compile) or closing:
  nothing unsaved to lose, so one line and exit 75 (the training loop has its own
  handlers, which save first)."""
  del frame
  print(f'stopped by {signal.Signals(signum).name} outside the training loop: nothing unsaved '
        '(the last checkpoint stands); run the same command to continue', file=sys.stderr,
        flush=True)
  quiet_exit(EXIT_STOPPED)   # not SystemExit: exit would wait on the threads start-up began


if __name__ == '__main__':
  runtime.prepare_process()   # before JAX is imported
  for _signal in (signal.SIGTERM, signal.SIGINT):
    signal.signal(_signal, stop_outside_the_loop)

# pylint: disable=wrong-import-position

from absl import app
from absl import flags
from absl import logging
import jax
from ml_collections import config_flags

from jsemrep.errors import JsemrepError
from train import train

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file('config', None, 'Training configuration file.', lock_config=True)
flags.DEFINE_string('workdir', None, 'Directory for checkpoints, metrics and TensorBoard events.')
flags.DEFINE_bool('distributed', False, 'Call jax.distributed.initialize() (multi-host); on '
                  'SLURM, Kubernetes or Cloud TPU it finds its peers itself.')
flags.DEFINE_string('coordinator_address', None, 'With --distributed: host:port of process 0, '
                    'where no cluster environment says it.')
flags.DEFINE_integer('num_processes', None, 'With --distributed: how many processes.')
flags.DEFINE_integer('process_id', None, 'With --distributed: this process\'s index.')
flags.mark_flags_as_required(['config', 'workdir'])


def parse_flags(argv):
  """absl's parsing, with an unknown or mistyped --config.KEY as one line (exit 2)."""
  try:
    return FLAGS(argv)
  except flags.Error as e:   # a mistyped flag or value: one line, exit 2 like a bad config
    print(f'error: {e} (--helpfull lists the flags)', file=sys.stderr, flush=True)
    sys.exit(2)
  except (AttributeError, KeyError, TypeError, ValueError) as e:
    overrides = [a.split('=')[0] for a in argv[1:] if a.startswith('--config.')]
    print(f'error: bad config override among {" ".join(overrides)}: {e}', file=sys.stderr)
    sys.exit(2)


def main(argv):
  if len(argv) > 1:
    raise app.UsageError(f'unexpected arguments: {argv[1:]}')
  logging.set_verbosity(logging.WARNING)
  if FLAGS.distributed:
    jax.distributed.initialize(FLAGS.coordinator_address, FLAGS.num_processes, FLAGS.process_id)
  train.train_and_evaluate(FLAGS.config, FLAGS.workdir)


def run():
  try:
    app.run(main, flags_parser=parse_flags)
  except JsemrepError as e:
    print(f'{"" if isinstance(e, train.Preempted) else "error: "}{e}', file=sys.stderr,
          flush=True)
    quiet_exit(e.exit_code)
  except OSError as e:      # a workdir that is a file or read-only, a full disk ...
    print(f'error: {os_error_line(e)}', file=sys.stderr, flush=True)
    quiet_exit(1)



if __name__ == '__main__':
  run()
