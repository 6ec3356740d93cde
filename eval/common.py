"""What every evaluation program shares: flags, restoring a run, writing results."""

import json
import os
import sys

from absl import app
from absl import flags
from absl import logging

from jsemrep import checkpoint
from jsemrep import methods
from jsemrep import models
from jsemrep.errors import JsemrepError

flags.DEFINE_string('workdir', None, 'Training directory holding checkpoints/.')
flags.DEFINE_integer('step', None, 'Checkpoint step (default: the latest).')
flags.mark_flag_as_required('workdir')


def run(main):
  """Runs an evaluation program with absl flags, a JsemrepError (a missing or bad
  checkpoint, a bad data source) as one line on stderr instead of a traceback."""
  try:
    app.run(main)
  except JsemrepError as e:
    print(f'error: {e}', file=sys.stderr, flush=True)
    sys.exit(e.exit_code)


def restore(workdir, step=None):
  """(config, model, params) of the run in workdir, from its stored config alone;
  a CheckpointError (nothing written) if workdir holds no usable checkpoint."""
  logging.set_verbosity(logging.WARNING)
  config, state = checkpoint.restore_trained(workdir, step)
  return config, models.vae_from_config(config), state.params['vae'], int(state.step)


def run_fields(config):
  """What identifies the run in every result JSON: eval.report groups runs that
  differ only in `seed` (docs/evaluation.md)."""
  fields = {'method': config.method, 'dataset': config.data.name, 'seed': int(config.seed),
            'num_steps': int(config.num_steps), 'uses_labels': methods.uses_labels(config)}
  if 'atn' in methods.bind_terms(config):
    fields['neighbor'] = config.atn.neighbor
  return fields


def eval_dir(workdir):
  path = os.path.join(workdir, 'eval')
  os.makedirs(path, exist_ok=True)
  return path


def write_json(workdir, name, result):
  path = os.path.join(eval_dir(workdir), f'{name}.json')
  with open(path, 'w', encoding='utf-8') as f:
    json.dump(result, f, indent=2)
  return path
