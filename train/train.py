"""The training program, `train_and_evaluate(config, workdir)`: the config resolved once
(train/resolve.py) into one RunSpec per run, the method bound once (methods.bind), one
compiled step (train/step.py) for every run of the command in the loop (train/loop.py);
a sweep's variants (train/sweep.py) train one after the other or stacked."""

import contextlib
import os

import numpy as np

from jsemrep import checkpoint
from jsemrep import data
from jsemrep import methods
from jsemrep import parallel
from jsemrep import spec as spec_lib
from jsemrep.errors import ConfigError, DivergedError
from train import feed as feed_lib
from train import guards
from train import loop
from train import resolve
from train import step as step_lib
from train import sweep as sweep_lib
from train.writer import say

Preempted = loop.Preempted
SweepError = sweep_lib.SweepError


def train_and_evaluate(config, workdir):
  """Trains config.num_steps steps, resuming from the latest good checkpoint in workdir;
  with config.sweep, every variant into its own run directory below workdir, sequentially
  or stacked (config.sweep_mode), recorded in workdir/sweep.json. Returns the final
  state (a list of them for a sweep).

  Refuses a bad config, or one that is not the stored run's, before writing anything;
  holds a lock on each workdir; stops with DivergedError at the first logged non-finite
  loss, never saving a non-finite state (in a sweep, that variant alone: SweepError
  after the others); on SIGTERM or SIGINT saves the current step and raises Preempted.
  """
  if not str(workdir):
    raise ConfigError('--workdir is empty: give the directory to train into')
  variants = sweep_lib.expand(config)
  for _, _, c in variants:
    resolve.validate(c)
  workdirs = [os.path.join(workdir, name) if name else workdir for name, _, _ in variants]
  earlier = sweep_lib.recorded_variants(workdir, config, [o for _, o, _ in variants]) \
      if config.sweep else []
  stored = [checkpoint.read_spec(w) for w in workdirs]
  steps = [checkpoint.latest_step(w) or 0 for w in workdirs]   # before any process writes
  earlier_spec = next((s for s in (checkpoint.read_spec(os.path.join(workdir, v['workdir']))
                                   for v in earlier) if s is not None), None) if earlier else None
  mesh = parallel.make_mesh(config.num_devices or None)   # refused before any data load
  parallel.check_batch_size(config.batch_size, mesh)
  train = _load_train_split(config.data, resolve.folder_options(config))
  facts = resolve.data_facts(config.data, train)
  specs = [resolve.complete(c, facts) for _, _, c in variants]
  changes = [spec_lib.resume_changes(old, new, w) if old is not None else []
             for old, new, w in zip(stored, specs, workdirs)]
  if earlier_spec is not None:
    overrides = earlier[0]['overrides']
    sweep_lib.check_extension(earlier[0]['workdir'], earlier_spec,
                              resolve.complete(sweep_lib.apply(config, overrides), facts))
  sweep, mode = config.sweep, config.sweep_mode   # the last reads of the config
  stacked = bool(sweep) and mode == 'vmap'
  for note in resolve.check_group(specs, facts, stacked, steps):
    say(note)
  bound = methods.bind(specs)
  if not sweep:
    return _train_runs(specs, workdirs, changes, bound, train, mesh, stacked)[0]
  overrides = [o for _, o, _ in variants]
  if parallel.is_primary():
    sweep_lib.write_record(workdir, sweep, mode, overrides, {})
  say(f'sweep of {len(variants)} variants ({mode}): '
      f'{", ".join(n for n, _, _ in variants)}'
      + (f' (beside the {len(earlier)} recorded before)' if earlier else ''))
  failures = {}
  states = _train_runs(specs, workdirs, changes, bound, train, mesh, stacked, failures)
  if parallel.is_primary():
    sweep_lib.write_record(workdir, sweep, mode, overrides, failures)
  if failures:
    raise SweepError(f'{len(failures)} of {len(variants)} sweep variants failed (the others '
                     'trained; see sweep.json): ' + '; '.join(
                         f'{workdirs[i]}: {failures[i]}' for i in sorted(failures)))
  return states


def _train_runs(specs, workdirs, changes, bound, train, mesh, stacked, failures=None):
  """Trains the runs with one compiled step: all at once (stacked) or one after the
  other. With `failures` (a dict), a run that diverges is stopped alone: {its index:
  the message}, and the others train on (its state is None); runs stepped together
  with it resume from their last checkpoints without it."""
  spec = specs[0]
  arrays = train.get('records', {'image': train['image'], 'label': train['label']})
  pairs = None
  if bound.paired:
    arrays['identity_row'], pairs = resolve.paired_data(spec, train)
  step_fn = step_lib.make_step(bound, spec, mesh, stacked, num_examples=len(train['label']),
                               pairs=pairs)
  placement = spec.data.placement
  shared = None if placement == 'host' else feed_lib.Feed(arrays, placement, mesh)
  pending = [list(range(len(specs)))] if stacked else [[i] for i in range(len(specs))]
  states = {}
  while pending:
    group = pending.pop(0)
    with contextlib.ExitStack() as locks:
      for i in group:
        if parallel.is_primary():     # the other processes of a multi-host run share its lock
          locks.enter_context(guards.hold_workdir(workdirs[i]))
      feed = shared or feed_lib.Feed(arrays, placement, mesh, specs[group[0]].seed,
                                     spec.batch_size)
      try:
        states.update(zip(group, loop.train_group(
            [specs[i] for i in group], [workdirs[i] for i in group],
            [changes[i] for i in group], bound, feed, mesh, step_fn, stacked)))
      except DivergedError as e:
        if failures is None:
          raise
        bad = group[getattr(e, 'member', 0)]
        failures[bad], states[bad] = str(e), None
        say(f'error: {workdirs[bad]}: {e}; going on with the other variants')
        rest = [i for i in group if i != bad]
        if rest:   # stepped together: they resume from their last checkpoints without it
          pending.insert(0, rest)
          for i in rest:
            changes[i] = []
      finally:
        if feed is not shared:
          feed.close()
  return [states[i] for i in range(len(specs))]


def _load_train_split(data_config, options):
  """The training split: its arrays, or with data.placement=host its labels and its
  files opened for random access (`records`); with several processes, process 0
  prepares the dataset files while the others wait, then every process reads them."""
  where = (data_config.name, 'train', data_config.data_dir or None,
           data_config.manual_dir or None, options)

  def load():
    if data_config.placement != 'host':
      return data.load(*where)
    records = data.records(*where)   # the labels, and the files for random access
    return {'label': records.labels, 'identity': records.identity, 'records': records,
            'image': np.zeros((0, *records.image_shape), np.uint8)}
  if parallel.is_primary():
    train = load()
  parallel.barrier('dataset prepared')
  if not parallel.is_primary():
    train = load()
  return train
