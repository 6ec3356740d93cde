"""Loss terms: pure functions (outputs, batch, key, spec, knobs) -> scalar.

`outputs` holds the model outputs of this device's examples plus `z_all`, the latents
of the whole global batch (gathered across devices), and for two-player methods
`critic_out`, the critic's outputs; `batch` holds the local `image`, `label` and the
global `label_all`. Terms over pairs or triplets of examples use the global arrays, so
they do not depend on how the batch is split across devices. `spec` is the run's
static spec (jsemrep.spec.RunSpec.static(): its knobs blanked), `knobs` the traced
numbers (jsemrep.spec.Knobs): a margin or weight is read from knobs, never from spec.
"""

import zlib

import jax
import jax.numpy as jnp

from jsemrep import losses
from jsemrep import split


def rec_term(outputs, batch, key, spec, knobs):
  del key, knobs
  return losses.reconstruction(outputs['decoded'], batch['image'], spec.loss.reconstruction)


def kl_term(outputs, batch, key, spec, knobs):
  del batch, key, spec, knobs
  return losses.kl_divergence(outputs['mu'], outputs['logvar'])


def atn_term(outputs, batch, key, spec, knobs):
  """The paper's ATNL on s / |s| (all of z for a single latent)."""
  return losses.angular_triplet_neighbor(
      split.semantic(outputs['z_all'], spec.model.semantic_dims), batch['label_all'], key,
      margin=knobs.atn_margin, neighbor=spec.atn.neighbor,
      per_anchor=spec.atn.triplets_per_anchor, period=spec.period,
      margin_mode=spec.atn.margin_mode)


def cross_term(outputs, batch, key, spec, knobs):
  """Cross-reconstruction: the decoder on [s of a donor of another identity at class
  j, c of the anchor] reconstructs the anchor's identity at j (train.step.paired_outputs)."""
  del key, knobs
  return losses.reconstruction(outputs['cross_decoded'], batch['same_image'],
                               spec.loss.reconstruction)


def c_invariance_term(outputs, batch, key, spec, knobs):
  """|c(u, i) - c(u, j)|^2 of the latent means, averaged over the batch: one
  identity's rest c at two classes."""
  del batch, key, knobs
  dims = spec.model.semantic_dims
  return jnp.mean(jnp.sum((split.rest(outputs['mu'], dims)
                           - split.rest(outputs['same_mu'], dims)) ** 2, axis=-1))


def triplet_term(outputs, batch, key, spec, knobs):
  return losses.facenet_triplet(outputs['z_all'], batch['label_all'], key,
                                margin=knobs.triplet_margin,
                                per_anchor=spec.atn.triplets_per_anchor)


def ordinal_triplet_term(outputs, batch, key, spec, knobs):
  return losses.euclidean_ordinal_triplet(outputs['z_all'], batch['label_all'], key,
                                          margin=knobs.triplet_margin,
                                          per_anchor=spec.atn.triplets_per_anchor,
                                          period=spec.period)


def per_example_normal(key, positions, shape):
  """Standard-normal draws keyed by global batch position (device-count invariant)."""
  return jax.vmap(lambda i: jax.random.normal(jax.random.fold_in(key, i), shape))(positions)


TERMS = {}   # name -> (term function, default weight)
LABELLED = ('atn', 'triplet', 'ordinal_triplet')   # terms that read class labels
PAIRED = ('cross', 'c_invariance')                 # terms that read paired identities
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
  """Makes a loss term `fn(outputs, batch, key, spec, knobs) -> scalar` available as
  `name`, at any time before training starts (a script or notebook may register one
  after building its config). A method uses its preset terms plus every registered
  term whose weight is set: --config.loss.weights.NAME=W (W = 0 leaves it out)."""
  if name == 'adv':
    raise ValueError("'adv' is the critic's term; give a method a Critic instead")
  if not callable(fn):
    raise TypeError(f'register_term({name!r}, ...): the term must be a function '
                    '(outputs, batch, key, spec, knobs) -> scalar')
  TERMS[name] = (fn, float(default_weight))


register_term('rec', rec_term, 10.0)
register_term('kl', kl_term, 1e-4)
register_term('atn', atn_term, 1.0)
register_term('triplet', triplet_term, 1.0)
register_term('ordinal_triplet', ordinal_triplet_term, 1.0)
register_term('cross', cross_term, 10.0)
register_term('c_invariance', c_invariance_term, 0.0)
