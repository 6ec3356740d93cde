"""The state a training step carries, and its creation."""

import flax
import jax
import jax.numpy as jnp

from jsemrep import models


@flax.struct.dataclass
class TrainState:
  """Everything that changes during training: step, each player's params and
  optimiser state (player 'vae', plus 'critic' for two-player methods)."""
  step: jax.Array
  params: dict
  opt_state: dict


def create_train_state(bound, spec, key):
  """The state at step 0 of a run of the Bound method (jsemrep.methods.bind): each
  player's parameters and the state of its optimiser (bound.txs, built once). Jitted:
  one compiled program instead of an eager dispatch per layer (2.6 s of 4.2 s here)."""

  def create(key):
    vae_key, critic_key = jax.random.split(key)
    params = {'vae': models.init_vae(bound.model, vae_key)}
    if bound.critic is not None:
      params['critic'] = bound.critic_net.init(critic_key, bound.critic.example(spec))['params']
    opt_state = {name: bound.txs[name].init(p) for name, p in params.items()}
    return TrainState(step=jnp.zeros((), jnp.int32), params=params, opt_state=opt_state)
  return jax.jit(create)(key)
