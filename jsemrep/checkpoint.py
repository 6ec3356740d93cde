"""Orbax checkpoints of the train state, each stored with the run's spec (its record).

Saves are synchronous, so a failed write (a full disk) is reported at the step
that failed, before training goes on. Restoring takes the newest checkpoint that
reads back whole and finite; a bad one is reported by name and, when training,
moved aside to DIR/checkpoints.bad/ (kept for inspection, out of Orbax's way).
"""

import contextlib
import hashlib
import os
import shutil
import sys
import tempfile

import jax
import jax.numpy as jnp
import numpy as np
import orbax.checkpoint as ocp

from jsemrep import parallel
from jsemrep import errors
from jsemrep import spec as spec_lib
from jsemrep.errors import CheckpointError, ConfigError


def checkpoint_dir(workdir):
  return os.path.join(os.path.abspath(workdir), 'checkpoints')


def manager(workdir, keep=3, read_only=False):
  """A CheckpointManager of DIR/checkpoints; read_only (for reading an existing
  directory) neither creates nor cleans anything."""
  return ocp.CheckpointManager(
      checkpoint_dir(workdir),
      options=ocp.CheckpointManagerOptions(
          max_to_keep=keep, create=not read_only, enable_async_checkpointing=False,
          cleanup_tmp_directories=not read_only))


def all_finite(tree):
  """Whether every floating-point leaf of tree is finite, checked on the host copy of
  each leaf (an eager device check compiled a program per leaf shape and sharding)."""
  for leaf in jax.tree.leaves(tree):
    leaf = parallel.to_host(leaf)
    if jnp.issubdtype(leaf.dtype, jnp.floating) and not np.all(
        np.isfinite(leaf.astype(np.float32, copy=False))):
      return False
  return True


def digests(tree):
  """{leaf path: SHA-256 of the leaf's bytes, dtype and shape}: what a checkpoint's
  arrays must read back as (Orbax does not check the bytes it reads)."""
  out = {}
  for path, leaf in jax.tree_util.tree_leaves_with_path(tree):
    array = parallel.to_host(leaf) if isinstance(leaf, jax.Array) else leaf
    array = jnp.asarray(array) if not hasattr(array, 'tobytes') else array
    h = hashlib.sha256(f'{array.dtype}{array.shape}'.encode())
    h.update(memoryview(array).tobytes() if array.ndim else array.tobytes())
    out[jax.tree_util.keystr(path)] = h.hexdigest()
  return out


def save(mngr, state, spec):
  """Saves state at its step with the run's spec and the digest of every array;
  CheckpointError (naming the last good checkpoint) if the write fails, with no
  partial checkpoint left behind."""
  step = int(parallel.to_host(state.step))
  try:
    with _stderr_held() as held:
      mngr.save(step, args=ocp.args.Composite(state=ocp.args.StandardSave(state),
                                              config=ocp.args.JsonSave(spec.to_json()),
                                              digest=ocp.args.JsonSave(digests(state))))
      mngr.wait_until_finished()
      held.release()
  except Exception as e:  # pylint: disable=broad-except
    directory = str(mngr.directory)
    for name in os.listdir(directory):
      if name.startswith(f'{step}.orbax-checkpoint-tmp') or name == str(step):
        shutil.rmtree(os.path.join(directory, name), ignore_errors=True)
    mngr.reload()
    last = mngr.latest_step()
    raise CheckpointError(
        f'saving checkpoint {step} to {directory} failed: {errors.one_line(e)}; the last good checkpoint '
        f'is {"step " + str(last) if last is not None else "none"}') from e
  return step


class _Held:
  """A hold on fd 2 (`_stderr_held`); release() passes what was held on."""
  released = False

  def release(self):
    self.released = True


@contextlib.contextmanager
def _stderr_held():
  """Holds everything written to fd 2 (Python's, absl's and TensorStore's own writes)
  while the block runs: passed on if the block calls release(), else dropped — a failed
  save's hundreds of lines of Orbax, asyncio and TensorStore tracebacks, whose reason
  the CheckpointError carries in one line."""
  sys.stderr.flush()
  saved = os.dup(2)
  with tempfile.TemporaryFile() as held:
    os.dup2(held.fileno(), 2)
    state = _Held()
    try:
      yield state
    finally:
      sys.stderr.flush()
      os.dup2(saved, 2)
      os.close(saved)
      if state.released:
        held.seek(0)
        sys.stderr.write(held.read().decode(errors='replace'))
        sys.stderr.flush()


def steps(workdir):
  """The steps of the checkpoints in workdir now (a fresh listing)."""
  if not os.path.isdir(checkpoint_dir(workdir)):
    return []
  return sorted(manager(workdir, read_only=True).all_steps())


def latest_step(workdir):
  if not os.path.isdir(checkpoint_dir(workdir)):
    return None
  return manager(workdir, read_only=True).latest_step()


def no_checkpoint(workdir):
  return CheckpointError(f'{checkpoint_dir(workdir)}: no checkpoint; train first with '
                         f'python -m train.main --workdir={workdir}')


def _restore(mngr, step, abstract_state):
  args = {'state': ocp.args.StandardRestore(abstract_state)}
  has_digest = os.path.isdir(os.path.join(str(mngr.directory), str(step), 'digest'))
  if has_digest:     # checkpoints written before digests have none to check
    args['digest'] = ocp.args.JsonRestore()
  restored = mngr.restore(step, args=ocp.args.Composite(**args))
  if has_digest:
    got = digests(restored['state'])
    bad = [k for k, v in restored['digest'].items() if got.get(k) != v]
    if bad:
      raise ValueError(f'{len(bad)} of its arrays do not match the digests saved with them '
                       f'(first: {bad[0]}): the files were changed or damaged')
  if not all_finite(restored['state']):
    raise ValueError('its parameters or optimiser state are not finite')
  return restored['state']


def restore_good(mngr, workdir, abstract_state, step=None, fallback=False):
  """(step, state) of the newest checkpoint (or `step`) that reads back whole and
  finite.

  Without fallback (evaluation) a bad checkpoint is a CheckpointError naming it and
  the older steps to pass instead. With fallback (training) it is reported on
  stderr, moved to DIR/checkpoints.bad/STEP and the next older one is tried.
  """
  steps = sorted(mngr.all_steps(), reverse=True) if step is None else [step]
  if not steps:
    raise no_checkpoint(workdir)
  if step is not None and step not in mngr.all_steps():
    raise CheckpointError(f'{checkpoint_dir(workdir)}: no checkpoint at step {step}; '
                          f'there are steps {sorted(mngr.all_steps())}')
  problems = []
  for candidate in steps:
    try:
      restored = _restore(mngr, candidate, abstract_state)
      if problems:
        mngr.reload()
      return candidate, restored
    except Exception as e:  # pylint: disable=broad-except
      path = os.path.join(str(mngr.directory), str(candidate))
      if not fallback:
        older = [s for s in sorted(mngr.all_steps()) if s < candidate]
        hint = f'; older checkpoints: steps {older} (--step=N)' if older else ''
        raise CheckpointError(f'checkpoint {path} is unusable: {errors.one_line(e)}{hint}') from e
      if _is_mismatch(e):
        raise ConfigError(f'{path} does not fit this config ({errors.one_line(e)}): it holds a run of '
                          'another model; start the new run with another --workdir') from e
      problems.append(f'step {candidate} ({errors.one_line(e)})')
      target = _free_path(os.path.join(bad_dir(workdir), str(candidate)))
      os.makedirs(os.path.dirname(target), exist_ok=True)
      shutil.move(path, target)
      print(f'warning: checkpoint {path} is unusable ({errors.one_line(e)}); moved to {target}, '
            'trying the one before', file=sys.stderr, flush=True)
  mngr.reload()
  raise CheckpointError(f'{checkpoint_dir(workdir)}: no usable checkpoint: ' + '; '.join(problems))


def bad_dir(workdir):
  """Where training moves the checkpoints it cannot use."""
  return os.path.join(os.path.abspath(workdir), 'checkpoints.bad')


def bad_steps(workdir):
  """The steps moved to checkpoints.bad (a second copy of a step is STEP.N)."""
  if not os.path.isdir(bad_dir(workdir)):
    return []
  return sorted({int(n.split('.')[0]) for n in os.listdir(bad_dir(workdir))
                 if n.split('.')[0].isdigit()})


def _free_path(path):
  """path, or path.1, path.2 ... where path is taken (a step moved aside twice)."""
  n, free = 0, path
  while os.path.exists(free):
    n += 1
    free = f'{path}.{n}'
  return free


def _is_mismatch(error):
  """Whether a restore failed because the checkpoint's arrays do not fit the requested
  model (a config reason), rather than because the files are damaged."""
  text = str(error)
  return 'not compatible with the stored shape' in text or 'tree structure' in text


def read_spec(workdir, step=None):
  """The RunSpec stored with the newest checkpoint in workdir whose record reads back
  (an unreadable newer record does not hide an older one), None where there is none;
  with `step`, that checkpoint's (CheckpointError where it has none or it is
  unreadable). The one reader of stored records."""
  if latest_step(workdir) is None:
    if step is not None:
      raise no_checkpoint(workdir)
    return None
  mngr = manager(workdir, read_only=True)
  try:
    if step is not None and step not in mngr.all_steps():
      raise CheckpointError(f'{checkpoint_dir(workdir)}: no checkpoint at step {step}; '
                            f'there are steps {sorted(mngr.all_steps())}')
    for candidate in sorted(mngr.all_steps(), reverse=True) if step is None else [step]:
      try:
        record = mngr.restore(candidate, args=ocp.args.Composite(config=ocp.args.JsonRestore()))
        return spec_lib.RunSpec.from_json(record['config'])
      except Exception as e:  # pylint: disable=broad-except
        if step is not None:
          raise CheckpointError(f'checkpoint {os.path.join(str(mngr.directory), str(step))} is '
                                f'unusable: {errors.one_line(e)}') from e
    return None
  finally:
    mngr.close()
