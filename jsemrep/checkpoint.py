"""Orbax checkpoints of the train state, each stored with the config that made it."""

import os

import jax
import ml_collections
import orbax.checkpoint as ocp


def manager(workdir, keep=3):
  return ocp.CheckpointManager(
      os.path.join(os.path.abspath(workdir), 'checkpoints'),
      options=ocp.CheckpointManagerOptions(max_to_keep=keep, create=True))


def save(mngr, state, config):
  step = int(jax.device_get(state.step))
  mngr.save(step, args=ocp.args.Composite(state=ocp.args.StandardSave(state),
                                          config=ocp.args.JsonSave(config.to_dict())))
  return step


def latest_step(workdir):
  directory = os.path.join(os.path.abspath(workdir), 'checkpoints')
  if not os.path.isdir(directory):
    return None
  return manager(workdir).latest_step()


def _require_step(mngr, workdir, step):
  step = mngr.latest_step() if step is None else step
  if step is None:
    raise FileNotFoundError(f'{os.path.join(workdir, "checkpoints")}: no checkpoint; train '
                            f'first with python -m train.main --workdir={workdir}')
  return step


def restore_config(workdir, step=None):
  """The config stored with the checkpoint at `step` (latest by default)."""
  mngr = manager(workdir)
  step = _require_step(mngr, workdir, step)
  restored = mngr.restore(step, args=ocp.args.Composite(config=ocp.args.JsonRestore()))
  return ml_collections.ConfigDict(restored['config'])


def restore_state(mngr, abstract_state, step=None, workdir=''):
  """The state at `step` (latest by default), shaped and placed like abstract_state."""
  step = _require_step(mngr, workdir, step)
  restored = mngr.restore(step, args=ocp.args.Composite(
      state=ocp.args.StandardRestore(abstract_state)))
  return restored['state']


def restore_trained(workdir, step=None):
  """(config, state) of a trained run, rebuilt from the checkpoint's stored config
  alone: no training config file is needed."""
  from jsemrep import methods  # pylint: disable=import-outside-toplevel
  config = restore_config(workdir, step)
  abstract = jax.eval_shape(lambda: methods.init_state(config, jax.random.PRNGKey(0)))
  mngr = manager(workdir)
  try:
    state = restore_state(mngr, abstract, step, workdir)
  finally:
    mngr.close()
  return config, state
