"""The loop of one run, or of runs stepped together: restore, step, log, evaluate,
save; its guards stop at the first non-finite loss or collapse (never saving such a
state) and save before stopping on SIGTERM or SIGINT."""

import json
import os

import jax
import numpy as np

from jsemrep import checkpoint
from jsemrep import parallel
from jsemrep import train_state
from jsemrep.errors import CheckpointError, ConfigError, DivergedError, JsemrepError
from train import during as during_lib
from train import guards
from train import writer as writer_lib
from train.writer import say

EXIT_PREEMPTED = 75   # EX_TEMPFAIL: saved on SIGTERM/SIGINT, run the same command to go on
CHANGES_LOG = 'changes.jsonl'
SOON_AFTER_RESUME = 2   # logging intervals after a resume in which divergence may be its doing


class Preempted(JsemrepError):
  """SIGTERM or SIGINT stopped training after saving the current step."""
  exit_code = EXIT_PREEMPTED


def restore_or_create(bound, spec, workdir, mngr, changes):
  """The run's state: restored from its newest good checkpoint (saying the changes
  this resume makes), or created at step 0."""
  if not mngr.all_steps() and checkpoint.bad_steps(workdir):
    bad = checkpoint.bad_dir(workdir)
    raise CheckpointError(
        f'{workdir}: checkpoints/ is empty but checkpoints.bad/ holds steps '
        f'{checkpoint.bad_steps(workdir)}; training would start again from step 0. Move a step '
        f'back (mv {bad}/STEP {checkpoint.checkpoint_dir(workdir)}/) or delete {bad} to start '
        'afresh')
  state = train_state.create_train_state(bound, spec, jax.random.PRNGKey(spec.seed))
  if mngr.all_steps():
    _, state = checkpoint.restore_good(mngr, workdir, state, fallback=True)
    say(f'resuming from step {int(state.step)} in {workdir}')
    say_changes(workdir, changes, int(state.step))
  return state


def train_group(specs, workdirs, changes, bound, feed, mesh, step_fn, stacked):
  """Trains runs stepped together (one, or a stacked sweep): every run keeps its own
  checkpoints, metrics and TensorBoard events in its workdir. Returns their states."""
  spec = specs[0]
  mngrs = [checkpoint.manager(w, s.keep_checkpoints) for s, w in zip(specs, workdirs)]
  states = [restore_or_create(bound, s, w, m, c)
            for s, w, m, c in zip(specs, workdirs, mngrs, changes)]
  starts = [int(s.step) for s in states]
  if len(set(starts)) > 1:
    raise ConfigError(f'the variants stepped together are at different steps ({starts}); '
                      'resume them with --config.sweep_mode=sequential')
  step = starts[0]
  state = parallel.replicate(parallel.stack(states) if stacked else states[0], mesh)
  knobs = [s.knobs(bound.terms) for s in specs]
  knobs = parallel.replicate(parallel.stack(knobs) if stacked else knobs[0], mesh)
  del states
  writers = [writer_lib.MetricsWriter(w, s.num_steps, s.batch_size, step,
                                      enabled=parallel.is_primary())
             for s, w in zip(specs, workdirs)]
  where = workdirs[0] if len(workdirs) == 1 else f'{len(workdirs)} run directories'
  say(f'training {spec.method} on {spec.data.name} ({feed.num_examples} examples, '
      f'placement {feed.placement}) on {mesh.shape[parallel.DATA_AXIS]} device(s) in '
      f'{jax.process_count()} process(es), steps {step}..{spec.num_steps}, into {where}')
  members = lambda tree: ([parallel.member(tree, k) for k in range(len(specs))] if stacked
                          else [tree])
  during = during_lib.DuringTraining(spec, say) if spec.eval_every else None
  stop = guards.StopSignals()
  try:
    with stop:
      while step < spec.num_steps:
        state, metrics = step_fn(state, feed(step), knobs)
        step += 1
        if step % spec.log_every == 0 or step == spec.num_steps:
          for k, (s, writer, mngr, m, member) in enumerate(zip(
              specs, writers, mngrs, members(parallel.to_host(metrics)), members(state))):
            if during is not None and step % spec.eval_every == 0:
              m = {**m, **during(s, parallel.to_host(member.params['vae']), step, bound.model)}
            try:
              check_finite_and_spread(writer.write(step, m), s, mngr, starts[0])
            except DivergedError as e:
              e.member = k   # which of the variants stepped together
              raise
        if step % spec.checkpoint_every == 0 or step == spec.num_steps:
          save_all(mngrs, members(state), specs)
        if stop.requested(step):
          save_all(mngrs, members(state), specs)
          raise Preempted(f'stopped by {stop.name} at step {step}: saved checkpoint {step} in '
                          f'{where}; run the same command to continue')
  finally:
    for mngr, writer in zip(mngrs, writers):
      mngr.close()
      writer.close()
  return members(state)


def say_changes(workdir, changes, step):
  """Says each setting a resume changes and appends it to DIR/changes.jsonl."""
  for c in changes:
    say(f'{c.key} {c.old} -> {c.new} from step {step}')
  if changes and parallel.is_primary():
    with open(os.path.join(workdir, CHANGES_LOG), 'a', encoding='utf-8') as f:
      for c in changes:
        f.write(json.dumps({'step': step, 'key': c.key, 'from': c.old, 'to': c.new}) + '\n')


def save_all(mngrs, states, specs):
  """Saves the state of every run stepped together, or none of them: a non-finite
  state raises DivergedError naming its run (`member`) before anything is saved, so
  the others stay at one step and resume together."""
  steps = [int(parallel.to_host(s.step)) for s in states]
  for k, (mngr, state, step) in enumerate(zip(mngrs, states, steps)):
    if step not in mngr.all_steps() and not checkpoint.all_finite(state):
      error = DivergedError(f'the state at step {step} is not finite; not saved (the last good '
                            f'checkpoint is {_last(mngr)})')
      error.member = k
      raise error
  for mngr, state, spec, step in zip(mngrs, states, specs, steps):
    if step not in mngr.all_steps():
      checkpoint.save(mngr, state, spec)


def _last(mngr):
  step = mngr.latest_step()
  return 'none' if step is None else f'step {step}'


def check_finite_and_spread(record, spec, mngr, resumed_from):
  """DivergedError at a non-finite logged value, or at codes collapsed below
  spec.stop_on_collapse."""
  bad = [k for k, v in record.items() if k != 'step' and not np.isfinite(v)]
  if bad:
    hint = 'try a lower learning_rate'
    if resumed_from and record['step'] - resumed_from <= SOON_AFTER_RESUME * spec.log_every:
      hint = (f'it diverged {record["step"] - resumed_from} steps after resuming from checkpoint '
              f'{resumed_from}, which may be the cause: move it out of checkpoints/ to resume '
              'from the one before; else try a lower learning_rate')
    raise DivergedError(f'training diverged: {", ".join(bad)} not finite at step {record["step"]}; '
                        f'no checkpoint of it was saved (the last good checkpoint is '
                        f'{_last(mngr)}); {hint}')
  if spec.stop_on_collapse and record['code_spread'] < spec.stop_on_collapse:
    raise DivergedError(f'codes collapsed at step {record["step"]}: code_spread '
                        f'{record["code_spread"]:.4f} < stop_on_collapse={spec.stop_on_collapse} '
                        f'(every code points nearly the same way); the last checkpoint is '
                        f'{_last(mngr)}')

