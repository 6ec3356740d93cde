"""What every evaluation program shares: flags, restoring a run, writing results."""

import json
import os

from absl import flags
from absl import logging

from jsemrep import checkpoint
from jsemrep import methods
from jsemrep import models

flags.DEFINE_string('workdir', None, 'Training directory holding checkpoints/.')
flags.DEFINE_integer('step', None, 'Checkpoint step (default: the latest).')
flags.mark_flag_as_required('workdir')


def restore(workdir, step=None):
  """(config, model, params) of the run in workdir, from its stored config alone."""
  logging.set_verbosity(logging.WARNING)
  config, state = checkpoint.restore_trained(workdir, step)
  return config, models.vae_from_config(config), state.params['vae'], int(state.step)


def run_fields(config):
  """What identifies the run in every result JSON: eval.report groups runs that
  differ only in `seed` (docs/evaluation.md)."""
  fields = {'method': config.method, 'dataset': config.data.name, 'seed': int(config.seed),
            'num_steps': int(config.num_steps), 'uses_labels': methods.uses_labels(config)}
  if 'atn' in methods.method(config).terms:
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
