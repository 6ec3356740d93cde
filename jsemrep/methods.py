"""Methods as presets: which named loss terms, with which weights, and which networks.

A term is a pure function (outputs, batch, key, config) -> scalar. `outputs` holds
the model outputs of this device's examples plus `z_all`, the latents of the whole
global batch (gathered across devices); `batch` holds the local `image`, `label`
and the global `label_all`. Terms over pairs or triplets of examples use the global
arrays, so they do not depend on how the batch is split across devices.
"""

import flax
import jax
import optax

from jsemrep import losses
from jsemrep import models


def rec_term(outputs, batch, key, config):
  del key
  return losses.reconstruction(outputs['decoded'], batch['image'], config.loss.reconstruction)


def kl_term(outputs, batch, key, config):
  del batch, key, config
  return losses.kl_divergence(outputs['mu'], outputs['logvar'])


def atn_term(outputs, batch, key, config):
  return losses.angular_triplet_neighbor(
      outputs['z_all'], batch['label_all'], key, config.atn.margin, config.atn.neighbor,
      config.atn.triplets_per_anchor)


TERMS = {'rec': rec_term, 'kl': kl_term, 'atn': atn_term}

PRESETS = {
    'vae': ('rec', 'kl'),
    'atnl': ('rec', 'kl', 'atn'),
}


def terms(config):
  """{name: (term function, weight)} of the configured method; weight-0 terms dropped."""
  if config.method not in PRESETS:
    raise ValueError(f'unknown method {config.method!r}; known: {", ".join(sorted(PRESETS))}')
  chosen = {}
  for name in PRESETS[config.method]:
    weight = float(config.loss.weights[name])
    if weight != 0.0:
      chosen[name] = (TERMS[name], weight)
  return chosen


@flax.struct.dataclass
class TrainState:
  """Everything that changes during training: step, each player's params and
  optimiser state (player 'vae', plus any discriminator or critic)."""
  step: jax.Array
  params: dict
  opt_state: dict


def optimizers(config):
  return {'vae': optax.adam(config.learning_rate)}


def init_state(config, key):
  model = models.vae_from_config(config)
  params = {'vae': models.init_vae(model, key)}
  txs = optimizers(config)
  opt_state = {name: txs[name].init(p) for name, p in params.items()}
  return TrainState(step=jax.numpy.zeros((), jax.numpy.int32), params=params, opt_state=opt_state)
