"""What every evaluation program shares: the flags of the evaluators it runs, restoring
the run, writing DIR/eval/NAME.json (NAME_SPLIT.json for a split other than test) and
printing the scores; a JsemrepError as one line instead of a traceback."""

import json
import math
import os
import sys
import time

from absl import app
from absl import flags
from absl import logging

from jsemrep import errors
from jsemrep import evaluators
from jsemrep import files
from jsemrep import runs
from jsemrep.errors import ConfigError, JsemrepError, quiet_exit
from jsemrep.evaluators import records

FLAGS = flags.FLAGS
_FLAG_KINDS = {bool: flags.DEFINE_bool, int: flags.DEFINE_integer, float: flags.DEFINE_float,
               str: flags.DEFINE_string}


def define_flags(names):
  """The common flags, and one per option of the named evaluators (None: of every
  evaluator, each flag then defaulting to each evaluator's own default)."""
  flags.DEFINE_string('workdir', None, 'Training directory holding checkpoints/.')
  flags.DEFINE_integer('step', None, 'Checkpoint step (default: the latest).')
  flags.DEFINE_enum('split', 'test', ['test', 'validation', 'train'],
                    'Split to score: choose settings on validation, report test.')
  flags.DEFINE_integer('seed', 0, 'Evaluation seed (which images start and end the paths); '
                       'independent of the training seed, so runs evaluated with one seed share '
                       'their paths.')
  flags.DEFINE_bool('force', False, 'Replace a result made with other options.')
  flags.mark_flag_as_required('workdir')
  chosen = evaluators.registry().values() if names is None else map(evaluators.get, names)
  defined = set()
  for evaluator in chosen:
    for name, (default, text) in evaluator.options.items():
      if name not in defined:
        own = default if names is not None else None
        _FLAG_KINDS[type(default)](name, own, text + ('' if names is not None else
                                                      " (default: each evaluator's own)"))
        defined.add(name)


MAX_FIGURE_ROWS = 100   # figure_images, figure_heads: rows of a figure


def check_options(names, seed, flag_values):
  """ConfigError (one line) for an option value no evaluator can use, before any work."""
  if not (isinstance(seed, int) and seed >= 0):
    raise ConfigError(f'--seed={seed} is not allowed: an integer from 0')
  for name, value in (flag_values or {}).items():
    if name not in {o for n in names for o in evaluators.get(n).options}:
      continue
    if isinstance(value, bool) or value is None or not isinstance(value, (int, float)):
      continue
    if not (value > 0 and math.isfinite(value)):
      raise ConfigError(f'--{name}={value} is not allowed: a positive number')
    if name.startswith('figure_') and value > MAX_FIGURE_ROWS:
      raise ConfigError(f'--{name}={value} is not allowed: at most {MAX_FIGURE_ROWS} rows')


def evaluate(workdir, names, split='test', seed=0, step=None, flag_values=None, force=False):
  """Runs the named evaluators on the run in workdir (those that do not apply to it are
  skipped, saying so), writes each one's record and prints its scores. Returns
  {name: path written}. A result made with other options is not replaced unless `force`."""
  start = time.perf_counter()
  logging.set_verbosity(logging.WARNING)
  if not workdir:
    raise ConfigError('--workdir is empty: give the directory a training run wrote')
  check_options(names, seed, flag_values)
  run = runs.load_run(workdir, step)
  out_dir = os.path.join(workdir, 'eval')
  os.makedirs(out_dir, exist_ok=True)
  written = {}
  for name in names:
    evaluator = evaluators.get(name)
    given = {k: v for k, v in (flag_values or {}).items() if v is not None}
    options = {k: given.get(k, default) for k, (default, _) in evaluator.options.items()}
    path = os.path.join(out_dir, evaluators.result_name(name, split) + '.json')
    _check_unchanged(path, options, seed, force)
    if not evaluator.applies(run.spec):
      if len(names) == 1:
        raise ConfigError(f'evaluator {name} does not apply to {workdir} (method '
                          f'{run.spec.method} on {run.spec.data.name})')
      print(f'{name}: does not apply to {run.spec.data.name}; skipped')
      continue
    result = evaluator(run, split, seed, out_dir, **options)
    record = records.record(evaluator, run, split, seed, options, result)
    files.write_json(path, record)
    for line in records.summary_lines(evaluator, record) or [result.info.get('note', '')]:
      print(f'{name}: {line}')
    readers = {k: v for k, v in result.info.items()
               if k.endswith('test_accuracy') and v is not None}
    print(f'{name}: {split} split, step {run.step}'
          + ''.join(f'; {k.replace("_", " ")} {v:.3f}' for k, v in readers.items())
          + f'; wrote {path}')
    for reader, gate in result.info.get('gates', {}).items():
      where = gate.get('where', 'along the paths')
      print(f'{name}: gate of the {reader} reader: {gate["real"]:.3f} on real test images'
            + (f' {where} ({gate["test_split"]:.3f} on the whole test split when trained)'
               if 'test_split' in gate else '')
            + f', {gate["oracle"]:.3f} on the oracle\'s reconstructions of them'
            + ('' if gate['passed'] else ' - FAILED: its scores of this run are not to be '
               'trusted (the reader cannot read reconstructions)'))
    written[name] = path
  print(f'evaluated in {time.perf_counter() - start:.0f} s')
  return written


def _check_unchanged(path, options, seed, force):
  """ConfigError where path holds a result made with other options or another
  evaluation seed (unless force): a rerun never silently replaces it."""
  if force or not os.path.exists(path):
    return
  try:
    with open(path, encoding='utf-8') as f:
      old = json.load(f)
  except (OSError, ValueError):
    return   # unreadable: replaced
  made = (old.get('options'), old.get('eval_seed'))
  if made != (options, seed):
    raise ConfigError(f'{path} was made with options {made[0]} and seed {made[1]}; this asks for '
                      f'{options} and seed {seed}: pass --force to replace it')


def main(names=None):
  """A program running `names` (None: the evaluators named by --evaluators)."""
  define_flags(names)
  if names is None:
    flags.DEFINE_list('evaluators', None, 'Evaluators to run: '
                      f'{", ".join(sorted(evaluators.registry()))}; "all": every one that '
                      'applies to the run.')
    flags.mark_flag_as_required('evaluators')

  def program(argv):
    del argv
    chosen = names or FLAGS.evaluators
    if chosen == ['all']:
      chosen = sorted(evaluators.registry())
    values = {name: FLAGS[name].value for name in FLAGS}
    evaluate(FLAGS.workdir, chosen, FLAGS.split, FLAGS.seed, FLAGS.step, values, FLAGS.force)
  run_program(program)


def run_program(program):
  """app.run, with a JsemrepError (a missing or bad checkpoint, a bad data source, a
  bad flag value) as one line on stderr instead of a traceback."""
  try:
    app.run(program)
  except JsemrepError as e:
    print(f'error: {e}', file=sys.stderr, flush=True)
    quiet_exit(e.exit_code)
  except OSError as e:    # a read-only or full workdir
    print(f'error: {errors.os_error_line(e)}', file=sys.stderr, flush=True)
    quiet_exit(1)
