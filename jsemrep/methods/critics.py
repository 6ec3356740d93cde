"""Second players: a two-player method's critic, what it is fed (built from the
autoencoder's outputs, differentiably) and its own loss.

The autoencoder's `adv` term reads the critic's outputs with the critic's parameters
held fixed; the critic's loss reads the same inputs with the autoencoder held fixed.
"""

from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import optax

from jsemrep import images as images_lib
from jsemrep import losses
from jsemrep import models
from jsemrep import sphere
from jsemrep import split
from jsemrep.methods.terms import per_example_normal


def gan_generator_term(outputs, batch, key, spec, knobs):
  del batch, key, spec, knobs
  return losses.gan_generator(outputs['critic_out']['fake'])


def acai_autoencoder_term(outputs, batch, key, spec, knobs):
  del batch, key, spec, knobs
  return losses.acai_autoencoder(outputs['critic_out']['mix'])


def images(decoded, spec):
  """Decoder outputs as a critic's input images (unclipped, so gradients flow)."""
  return images_lib.decoded_to_images(decoded, spec.loss.reconstruction, clip=False)


def _reversed_partner(outputs, positions):
  """Each example's partner in the globally reversed batch."""
  z_all = outputs['z_all']
  return z_all[z_all.shape[0] - 1 - positions]


def latent_gan_inputs(decode, outputs, batch, key, positions, spec, knobs):
  del decode, batch, knobs
  prior = per_example_normal(key, positions, (spec.model.latent_dim,))
  return {'real': prior, 'fake': outputs['z']}


def image_gan_inputs(decode, outputs, batch, key, positions, spec, knobs):
  del knobs
  prior = per_example_normal(key, positions, (spec.model.latent_dim,))
  fake = jnp.concatenate([images(outputs['decoded'], spec), images(decode(prior), spec)])
  return {'real': batch['image'], 'fake': fake}


def _mix_inputs(interp):
  def inputs(decode, outputs, batch, key, positions, spec, knobs):
    alpha = jax.vmap(lambda i: jax.random.uniform(jax.random.fold_in(key, i), (), maxval=0.5))(
        positions)
    partner = _reversed_partner(outputs, positions)
    mixed = jax.vmap(sphere.INTERPOLATIONS[interp])(outputs['z'], partner, alpha)
    gamma = knobs.acai_gamma
    blend = gamma * batch['image'] + (1 - gamma) * images(outputs['decoded'], spec)
    return {'mix': images(decode(mixed), spec), 'blend': blend, 'alpha': alpha}
  return inputs


def gan_critic_apply(net, params, inputs):
  return {'real': net.apply({'params': params}, inputs['real']),
          'fake': net.apply({'params': params}, inputs['fake'])}


def gan_critic_loss(critic_out, inputs):
  del inputs
  return losses.gan_discriminator(critic_out['real'], critic_out['fake'])


def acai_critic_apply(net, params, inputs):
  return {'mix': net.apply({'params': params}, inputs['mix']),
          'blend': net.apply({'params': params}, inputs['blend'])}


def acai_critic_loss(critic_out, inputs):
  return losses.acai_critic(critic_out['mix'], inputs['alpha'], critic_out['blend'])


def class_adversary_inputs(decode, outputs, batch, key, positions, spec, knobs):
  """The rest c of each example's code and its class: what the class adversary reads."""
  del decode, key, positions, knobs
  return {'c': split.rest(outputs['z'], spec.model.semantic_dims), 'label': batch['label']}


def class_adversary_apply(net, params, inputs):
  return {'logits': net.apply({'params': params}, inputs['c'])}


def class_adversary_loss(critic_out, inputs):
  """The adversary learns to read the class from c: cross-entropy."""
  return optax.softmax_cross_entropy_with_integer_labels(critic_out['logits'],
                                                         inputs['label']).mean()


def class_confusion_term(outputs, batch, key, spec, knobs):
  """The encoder's term against the class adversary: KL(uniform || the adversary's
  reading of c), averaged over the batch; 0 when it reads every class alike. (An encoder
  can fool its current adversary while c still holds the class: judge the leak by
  probes fitted after training, the `leak` evaluator.)"""
  del batch, key, spec, knobs
  log_p = jax.nn.log_softmax(outputs['critic_out']['logits'])
  return jnp.mean(-jnp.mean(log_p, axis=-1) - jnp.log(log_p.shape[-1]))


class Critic(NamedTuple):
  """The second player of a two-player method, and the autoencoder's `adv` term
  against it with its default weight; reads_c: it reads the rest c of a split latent
  (the method needs model.semantic_dims)."""
  network: Callable      # spec -> flax module
  inputs: Callable       # (decode, outputs, batch, key, positions, spec, knobs) -> dict
  apply: Callable        # (net, params, inputs) -> dict of outputs
  loss: Callable         # (outputs, inputs) -> the critic's scalar loss
  example: Callable      # spec -> an input of shape (1, ...) to initialise the network
  generator_term: Callable   # the autoencoder's `adv` term
  weight: float          # the `adv` term's default weight
  reads_c: bool = False


def _image_critic(spec):
  return models.ImageCritic(tuple(spec.model.channels), downsampling=spec.model.downsampling)


def _latent_example(spec):
  return jnp.zeros((1, spec.model.latent_dim))


def _image_example(spec):
  return jnp.zeros((1, *spec.model.image_shape))


# GAN weights are relative to rec = 10 x mean |x_hat - x|: the GAN terms are O(1)
# log-losses and overpower reconstruction at 0.5 (the AAE encoder collapsed to one
# code at 0.5 in a 400-step mnist5k run). The AAE's 0.003 was chosen on mnist5k's
# validation split among 0.003, 0.01 and 0.03 (docs/choices.md); VAE-GAN's 0.01 has
# not been chosen on validation. ACAI's weight 0.5 is its paper's lambda.
AAE_WEIGHT = 0.003
VAEGAN_WEIGHT = 0.01
ACAI_WEIGHT = 0.5
LATENT_GAN = Critic(lambda spec: models.LatentDiscriminator(), latent_gan_inputs,
                    gan_critic_apply, gan_critic_loss, _latent_example, gan_generator_term,
                    AAE_WEIGHT)
IMAGE_GAN = Critic(_image_critic, image_gan_inputs, gan_critic_apply, gan_critic_loss,
                   _image_example, gan_generator_term, VAEGAN_WEIGHT)
ACAI_LERP = Critic(_image_critic, _mix_inputs('lerp'), acai_critic_apply, acai_critic_loss,
                   _image_example, acai_autoencoder_term, ACAI_WEIGHT)
ACAI_SLERP = Critic(_image_critic, _mix_inputs('slerp'), acai_critic_apply, acai_critic_loss,
                    _image_example, acai_autoencoder_term, ACAI_WEIGHT)
# The class adversary on c (Lample et al. 2017's latent discriminator, on c alone): an
# MLP of one hidden layer; weight 1 as in the trial that showed it can be fooled.
CLASS_ADVERSARY_WEIGHT = 1.0
CLASS_ADVERSARY = Critic(
    lambda spec: models.MLPClassifier(spec.data.num_classes, hidden=(128,)),
    class_adversary_inputs, class_adversary_apply, class_adversary_loss,
    lambda spec: jnp.zeros((1, spec.model.latent_dim - spec.model.semantic_dims)),
    class_confusion_term, CLASS_ADVERSARY_WEIGHT, reads_c=True)
