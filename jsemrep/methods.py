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

from typing import Any, Callable, NamedTuple, Optional
import zlib

import jax
import jax.numpy as jnp
import optax

from jsemrep import images as images_lib
from jsemrep import losses
from jsemrep import models
from jsemrep import sphere
from jsemrep import split
from jsemrep.errors import ConfigError
from jsemrep.train_state import TrainState


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
      split.semantic(outputs['z_all'], split.semantic_dims(config)), batch['label_all'], key, config.atn.margin, config.atn.neighbor,
      config.atn.triplets_per_anchor, label_period(config),
      config.atn.get('margin_mode', 'constant'))


def cross_term(outputs, batch, key, config):
  """Cross-reconstruction: the decoder on [s of a donor of another identity at class
  j, c of the anchor] reconstructs the anchor's identity at j (train.paired_outputs)."""
  del key
  return losses.reconstruction(outputs['cross_decoded'], batch['same_image'],
                               config.loss.reconstruction)


def c_invariance_term(outputs, batch, key, config):
  """|c(u, i) - c(u, j)|^2 of the latent means, averaged over the batch: one
  identity's rest c at two classes."""
  del batch, key
  dims = split.semantic_dims(config)
  return jnp.mean(jnp.sum((split.rest(outputs['mu'], dims)
                           - split.rest(outputs['same_mu'], dims)) ** 2, axis=-1))


def triplet_term(outputs, batch, key, config):
  return losses.facenet_triplet(outputs['z_all'], batch['label_all'], key,
                                config.triplet.margin, config.atn.triplets_per_anchor)


def ordinal_triplet_term(outputs, batch, key, config):
  return losses.euclidean_ordinal_triplet(outputs['z_all'], batch['label_all'], key,
                                          config.triplet.margin, config.atn.triplets_per_anchor,
                                          label_period(config))


def gan_generator_term(outputs, batch, key, config):
  del batch, key, config
  return losses.gan_generator(outputs['critic_out']['fake'])


def acai_autoencoder_term(outputs, batch, key, config):
  del batch, key, config
  return losses.acai_autoencoder(outputs['critic_out']['mix'])


def images(decoded, config):
  """Decoder outputs as a critic's input images (unclipped, so gradients flow)."""
  return images_lib.decoded_to_images(decoded, config.loss.reconstruction, clip=False)


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
  """The second player of a two-player method, and the autoencoder's `adv` term
  against it with its default weight."""
  network: Callable      # config -> flax module
  inputs: Callable       # (decode, outputs, batch, key, positions, config) -> dict
  apply: Callable        # (net, params, inputs) -> dict of outputs
  loss: Callable         # (outputs, inputs, config) -> the critic's scalar loss
  example: Callable      # config -> an input of shape (1, ...) to initialise the network
  generator_term: Callable   # the autoencoder's `adv` term: (outputs, batch, key, config)
  weight: float          # the `adv` term's default weight


def _image_critic(config):
  return models.ImageCritic(tuple(config.model.channels),
                            downsampling=models.downsampling_of(config))


def _latent_example(config):
  return jnp.zeros((1, config.model.latent_dim))


def _image_example(config):
  return jnp.zeros((1, *config.model.image_shape))


# GAN weights are relative to rec = 10 x mean |x_hat - x|: the GAN terms are O(1)
# log-losses and overpower reconstruction at 0.5 (the AAE encoder collapsed to one
# code at 0.5 in a 400-step mnist5k run). The AAE's 0.003 was chosen on mnist5k's
# validation split among 0.003, 0.01 and 0.03 (docs/choices.md); VAE-GAN's 0.01 has
# not been chosen on validation. ACAI's weight 0.5 is its paper's lambda.
AAE_WEIGHT = 0.003
VAEGAN_WEIGHT = 0.01
ACAI_WEIGHT = 0.5
LATENT_GAN = Critic(lambda c: models.LatentDiscriminator(), latent_gan_inputs,
                    gan_critic_apply, gan_critic_loss, _latent_example, gan_generator_term,
                    AAE_WEIGHT)
IMAGE_GAN = Critic(_image_critic, image_gan_inputs, gan_critic_apply, gan_critic_loss,
                   _image_example, gan_generator_term, VAEGAN_WEIGHT)
ACAI_LERP = Critic(_image_critic, _mix_inputs('lerp'), acai_critic_apply, acai_critic_loss,
                   _image_example, acai_autoencoder_term, ACAI_WEIGHT)
ACAI_SLERP = Critic(_image_critic, _mix_inputs('slerp'), acai_critic_apply, acai_critic_loss,
                    _image_example, acai_autoencoder_term, ACAI_WEIGHT)


class Method(NamedTuple):
  terms: tuple                     # the autoencoder's loss terms
  critic: Optional[Critic] = None  # the second player, if any
  stochastic: bool = True          # sample z (VAE) or take z = mu (plain autoencoder)
  paired: bool = False             # batches carry same-identity and donor images (`cross`)
  conditional: bool = False        # the class enters the decoder as a learned embedding (s)


PRESETS = {
    'vae': Method(('rec', 'kl')),
    'aae': Method(('rec', 'adv'), LATENT_GAN, stochastic=False),
    'acai': Method(('rec', 'adv'), ACAI_LERP, stochastic=False),
    'triplet': Method(('rec', 'kl', 'triplet')),
    'triplet_ordinal': Method(('rec', 'kl', 'ordinal_triplet')),
    'atnl': Method(('rec', 'kl', 'atn')),
    'atnl_adv': Method(('rec', 'kl', 'atn', 'adv'), ACAI_SLERP),
    'vaegan': Method(('rec', 'kl', 'adv'), IMAGE_GAN),
    # The split latent (model.semantic_dims > 0) trained by cross-reconstruction of
    # paired identities; `split` is the ablation without ATN on s.
    'atnl_split': Method(('rec', 'kl', 'atn', 'cross'), paired=True),
    'split': Method(('rec', 'kl', 'cross'), paired=True),
    # The conditional baseline: the encoder gives c, the class enters the decoder as a
    # learned embedding in place of s (CVAE; DR-GAN's pose code).
    'cvae': Method(('rec', 'kl'), conditional=True),
}

TERMS = {}   # name -> (term function, default weight)
# Each term's random key is the step's loss key folded with a number fixed by the
# term's name, so adding or dropping a term leaves every other term's draws alone.
# atn and triplet keep the numbers they had (their places among the sorted terms of
# the atnl and triplet presets), so those runs draw what they drew before; every
# other name gets a hash of itself.
TERM_KEYS = {'atn': 0, 'triplet': 2}


def _name_number(name):
  return zlib.crc32(name.encode()) | (1 << 31)   # above the fixed numbers above


def term_key(loss_key, name):
  """The random key of term `name` in a step whose loss key is `loss_key`."""
  return jax.random.fold_in(loss_key, TERM_KEYS.get(name, _name_number(name)))


def register_term(name, fn, default_weight=0.0):
  """Makes a loss term `fn(outputs, batch, key, config) -> scalar` available as
  `name`. A method uses its preset terms plus every registered term whose weight
  is set in the config: --config.loss.weights.NAME=W (W = 0 leaves it out)."""
  if name == 'adv':
    raise ValueError("'adv' is the critic's term; give a method a Critic instead")
  TERMS[name] = (fn, float(default_weight))


register_term('rec', rec_term, 10.0)
register_term('kl', kl_term, 1e-4)
register_term('atn', atn_term, 1.0)
register_term('triplet', triplet_term, 1.0)
register_term('ordinal_triplet', ordinal_triplet_term, 1.0)
PAIRED_TERMS = ('cross', 'c_invariance')   # terms that read paired_outputs
register_term('cross', cross_term, 10.0)
register_term('c_invariance', c_invariance_term, 0.0)


def method(config):
  if config.method not in PRESETS:
    raise ConfigError(f'unknown method {config.method!r}; known: {", ".join(sorted(PRESETS))}')
  return PRESETS[config.method]


def uses_labels(config):
  """Whether the method's loss reads class labels (tables mark it)."""
  weights = effective_weights(config)
  return any(weights.get(name, 0.0) > 0 for name in ('atn', 'triplet', 'ordinal_triplet'))


def bind_terms(config, keep=()):
  """{name: (term function, weight)} of the configured method: its preset terms with
  config weights over defaults, plus registered terms given a weight in the config.
  A preset term of weight 0 stays, multiplied by 0 (computed and logged), so a run
  at weight 0 is the same computation as a sweep's variant at 0, bit for bit; an
  extra term of weight 0 is left out unless named in `keep` (a sweep keeps a term
  that is 0 in some variants and not in others)."""
  preset = method(config)
  table = {name: TERMS[name] for name in preset.terms if name != 'adv'}
  if preset.critic is not None:
    table['adv'] = (preset.critic.generator_term, preset.critic.weight)
  for name, value in config.loss.weights.items():
    if value is not None and name not in table:
      if name not in TERMS:
        raise ConfigError(f'config loss.weights.{name}={value!r} is not allowed: no loss term '
                          f'{name!r} is registered (known: {", ".join(sorted(TERMS))})')
      table[name] = TERMS[name]
  for name in PAIRED_TERMS:
    if name in table and not preset.paired and (config.loss.weights.get(name) or 0) > 0:
      raise ConfigError(f'config loss.weights.{name} is not allowed for method {config.method}: '
                        f'{name} reads paired identities, which only a split method draws '
                        f'({", ".join(n for n, m in sorted(PRESETS.items()) if m.paired)})')
  bound = {}
  for name, (fn, default) in table.items():
    weight = config.loss.weights.get(name)
    weight = float(default if weight is None else weight)
    if weight != 0.0 or name in keep or name in preset.terms:
      bound[name] = (fn, weight)
  return bound


def effective_weights(config):
  """{term: weight} that `bind_terms` uses (for the stored config)."""
  return {name: weight for name, (_, weight) in bind_terms(config).items()}


class BoundMethod(NamedTuple):
  """A method bound to a config once, outside the traced step (the weights are knobs:
  train.knobs, read by the step from its values)."""
  terms: dict                 # {name: term function}
  critic: Optional[Critic]
  critic_net: Optional[Any]   # the critic's flax module
  txs: dict                   # {player: optax transformation}
  stochastic: bool
  paired: bool
  conditional: bool


def build(config, keep=()):
  """The configured method, bound: its terms and weights, critic and optimisers
  (`keep`: terms kept at weight 0, see bind_terms)."""
  preset = method(config)
  critic_net = preset.critic.network(config) if preset.critic is not None else None
  terms = {name: fn for name, (fn, _) in bind_terms(config, keep).items()}
  return BoundMethod(terms, preset.critic, critic_net, optimizers(config), preset.stochastic,
                     preset.paired, preset.conditional)


def optimizers(config):
  txs = {'vae': optax.adam(config.learning_rate)}
  if method(config).critic is not None:
    txs['critic'] = optax.adam(config.critic.learning_rate, b1=config.critic.b1)
  return txs


def model_of(config):
  """The config's VAE, with the class embedding where its method is conditional."""
  return models.vae_from_config(config, method(config).conditional)


def init_state(config, key):
  vae_key, critic_key = jax.random.split(key)
  model = model_of(config)
  params = {'vae': models.init_vae(model, vae_key)}
  critic = method(config).critic
  if critic is not None:
    params['critic'] = critic.network(config).init(critic_key, critic.example(config))['params']
  txs = optimizers(config)
  opt_state = {name: txs[name].init(p) for name, p in params.items()}
  return TrainState(step=jnp.zeros((), jnp.int32), params=params, opt_state=opt_state)
