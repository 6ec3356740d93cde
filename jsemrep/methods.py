"""Methods as presets: which named loss terms, with which weights, and which networks.

A term is a pure function (outputs, batch, key, config) -> scalar. `outputs` holds
the model outputs of this device's examples plus `z_all`, the latents of the whole
global batch (gathered across devices), and for two-player methods `critic_out`,
the critic's outputs on `critic_in`; `batch` holds the local `image`, `label` and
the global `label_all`. Terms over pairs or triplets of examples use the global
arrays, so they do not depend on how the batch is split across devices.

A two-player method adds a `Critic`: its network, what it is fed (built from the
autoencoder's outputs, differentiably), and its own loss. The autoencoder's `adv`
term reads the critic's outputs with the critic's parameters held fixed; the
critic's loss reads the same inputs with the autoencoder held fixed.
"""

from typing import Callable, NamedTuple, Optional

import flax
import jax
import jax.numpy as jnp
import optax

from jsemrep import losses
from jsemrep import models
from jsemrep import sphere


def rec_term(outputs, batch, key, config):
  del key
  return losses.reconstruction(outputs['decoded'], batch['image'], config.loss.reconstruction)


def kl_term(outputs, batch, key, config):
  del batch, key, config
  return losses.kl_divergence(outputs['mu'], outputs['logvar'])


def label_period(config):
  """The class count when the dataset's labels are circular, else None."""
  return config.data.num_classes if config.data.get('circular', False) else None


def atn_term(outputs, batch, key, config):
  return losses.angular_triplet_neighbor(
      outputs['z_all'], batch['label_all'], key, config.atn.margin, config.atn.neighbor,
      config.atn.triplets_per_anchor, label_period(config))


def triplet_term(outputs, batch, key, config):
  return losses.facenet_triplet(outputs['z_all'], batch['label_all'], key,
                                config.triplet.margin, config.atn.triplets_per_anchor)


def gan_generator_term(outputs, batch, key, config):
  del batch, key, config
  return losses.gan_generator(outputs['critic_out']['fake'])


def acai_autoencoder_term(outputs, batch, key, config):
  del batch, key, config
  return losses.acai_autoencoder(outputs['critic_out']['mix'])


def images(decoded, config):
  """Decoder outputs as images for a critic (sigmoid of logits for bce)."""
  return jax.nn.sigmoid(decoded) if config.loss.reconstruction == 'bce' else decoded


def per_example_normal(key, positions, shape):
  """Standard-normal draws keyed by global batch position (device-count invariant)."""
  return jax.vmap(lambda i: jax.random.normal(jax.random.fold_in(key, i), shape))(positions)


def _reversed_partner(outputs, positions):
  """Each example's partner in the globally reversed batch."""
  z_all = outputs['z_all']
  return z_all[z_all.shape[0] - 1 - positions]


def latent_gan_inputs(decode, outputs, batch, key, positions, config):
  del decode, batch
  prior = per_example_normal(key, positions, (config.model.latent_dim,))
  return {'real': prior, 'fake': outputs['z']}


def image_gan_inputs(decode, outputs, batch, key, positions, config):
  prior = per_example_normal(key, positions, (config.model.latent_dim,))
  fake = jnp.concatenate([images(outputs['decoded'], config), images(decode(prior), config)])
  return {'real': batch['image'], 'fake': fake}


def _mix_inputs(interp):
  def inputs(decode, outputs, batch, key, positions, config):
    alpha = jax.vmap(lambda i: jax.random.uniform(jax.random.fold_in(key, i), (), maxval=0.5))(
        positions)
    partner = _reversed_partner(outputs, positions)
    mixed = jax.vmap(sphere.INTERPOLATIONS[interp])(outputs['z'], partner, alpha)
    gamma = config.acai.gamma
    blend = gamma * batch['image'] + (1 - gamma) * images(outputs['decoded'], config)
    return {'mix': images(decode(mixed), config), 'blend': blend, 'alpha': alpha}
  return inputs


def gan_critic_apply(net, params, inputs):
  return {'real': net.apply({'params': params}, inputs['real']),
          'fake': net.apply({'params': params}, inputs['fake'])}


def gan_critic_loss(critic_out, inputs, config):
  del inputs, config
  return losses.gan_discriminator(critic_out['real'], critic_out['fake'])


def acai_critic_apply(net, params, inputs):
  return {'mix': net.apply({'params': params}, inputs['mix']),
          'blend': net.apply({'params': params}, inputs['blend'])}


def acai_critic_loss(critic_out, inputs, config):
  del config
  return losses.acai_critic(critic_out['mix'], inputs['alpha'], critic_out['blend'])


class Critic(NamedTuple):
  """The second player of a two-player method."""
  network: Callable      # config -> flax module
  inputs: Callable       # (decode, outputs, batch, key, positions, config) -> dict
  apply: Callable        # (net, params, inputs) -> dict of outputs
  loss: Callable         # (outputs, inputs, config) -> the critic's scalar loss
  example: Callable      # config -> an input of shape (1, ...) to initialise the network


def _image_critic(config):
  return models.ImageCritic(tuple(config.model.channels),
                            downsampling=models.downsampling_of(config))


def _latent_example(config):
  return jnp.zeros((1, config.model.latent_dim))


def _image_example(config):
  return jnp.zeros((1, *config.model.image_shape))


LATENT_GAN = Critic(lambda c: models.LatentDiscriminator(), latent_gan_inputs,
                    gan_critic_apply, gan_critic_loss, _latent_example)
IMAGE_GAN = Critic(_image_critic, image_gan_inputs, gan_critic_apply, gan_critic_loss,
                   _image_example)
ACAI_LERP = Critic(_image_critic, _mix_inputs('lerp'), acai_critic_apply, acai_critic_loss,
                   _image_example)
ACAI_SLERP = Critic(_image_critic, _mix_inputs('slerp'), acai_critic_apply, acai_critic_loss,
                    _image_example)


class Method(NamedTuple):
  terms: tuple                     # the autoencoder's loss terms
  critic: Optional[Critic] = None  # the second player, if any
  stochastic: bool = True          # sample z (VAE) or take z = mu (plain autoencoder)


PRESETS = {
    'vae': Method(('rec', 'kl')),
    'aae': Method(('rec', 'adv'), LATENT_GAN, stochastic=False),
    'acai': Method(('rec', 'adv'), ACAI_LERP, stochastic=False),
    'triplet': Method(('rec', 'kl', 'triplet')),
    'atnl': Method(('rec', 'kl', 'atn')),
    'atnl_adv': Method(('rec', 'kl', 'atn', 'adv'), ACAI_SLERP),
    'vaegan': Method(('rec', 'kl', 'adv'), IMAGE_GAN),
}

DEFAULT_WEIGHTS = {'rec': 10.0, 'kl': 1e-4, 'atn': 1.0, 'triplet': 1.0}
# The adversarial weight per method, relative to rec = 10 x mean |x_hat - x|: the GAN
# terms are O(1) log-losses and overpower reconstruction at 0.5 (the AAE encoder
# collapsed to one code at 0.5, and reconstructed the wrong digits at 0.05, in
# 400-step mnist5k runs; 0.01 reconstructs and interpolates); ACAI's lambda = 0.5.
ADV_WEIGHTS = {'aae': 0.01, 'vaegan': 0.01, 'acai': 0.5, 'atnl_adv': 0.5}

ADVERSARIAL_TERMS = {'aae': gan_generator_term, 'vaegan': gan_generator_term,
                     'acai': acai_autoencoder_term, 'atnl_adv': acai_autoencoder_term}


def method(config):
  if config.method not in PRESETS:
    raise ValueError(f'unknown method {config.method!r}; known: {", ".join(sorted(PRESETS))}')
  return PRESETS[config.method]


def uses_labels(config):
  """Whether the method's loss reads class labels (tables mark it)."""
  return bool({'atn', 'triplet'} & set(method(config).terms))


def effective_weights(config):
  """{term: weight} of the method's terms, config overrides over preset defaults."""
  defaults = dict(DEFAULT_WEIGHTS, adv=ADV_WEIGHTS.get(config.method))
  weights = {}
  for name in method(config).terms:
    weight = config.loss.weights.get(name)
    weights[name] = float(defaults[name] if weight is None else weight)
  return weights


def terms(config):
  """{name: (term function, weight)} of the configured method; weight-0 terms dropped."""
  table = {'rec': rec_term, 'kl': kl_term, 'atn': atn_term, 'triplet': triplet_term}
  if config.method in ADVERSARIAL_TERMS:
    table['adv'] = ADVERSARIAL_TERMS[config.method]
  return {name: (table[name], weight)
          for name, weight in effective_weights(config).items() if weight != 0.0}


@flax.struct.dataclass
class TrainState:
  """Everything that changes during training: step, each player's params and
  optimiser state (player 'vae', plus 'critic' for two-player methods)."""
  step: jax.Array
  params: dict
  opt_state: dict


def optimizers(config):
  txs = {'vae': optax.adam(config.learning_rate)}
  if method(config).critic is not None:
    txs['critic'] = optax.adam(config.critic.learning_rate, b1=config.critic.b1)
  return txs


def critic_network(config):
  critic = method(config).critic
  return critic.network(config) if critic is not None else None


def init_state(config, key):
  vae_key, critic_key = jax.random.split(key)
  model = models.vae_from_config(config)
  params = {'vae': models.init_vae(model, vae_key)}
  critic = method(config).critic
  if critic is not None:
    params['critic'] = critic.network(config).init(critic_key, critic.example(config))['params']
  txs = optimizers(config)
  opt_state = {name: txs[name].init(p) for name, p in params.items()}
  return TrainState(step=jnp.zeros((), jnp.int32), params=params, opt_state=opt_state)
