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
from jsemrep import sphere
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


def relative_gap(a, b, reference):
  """mean |a - b|^2 over the batch, relative to twice the spread of `reference` (the
  mean squared distance of its rows from their mean): about 1 when a and b are unrelated
  draws from codes spread like the reference, 0 when a = b, and unchanged when every
  code is scaled, so the codes cannot shrink to lower it. The reference is the global
  batch, so the value does not depend on how the batch is split across devices."""
  spread = jnp.mean(jnp.sum((reference - reference.mean(0)) ** 2, axis=-1))
  return jnp.mean(jnp.sum((a - b) ** 2, axis=-1)) / (2.0 * spread + 1e-8)


def c_invariance_term(outputs, batch, key, spec, knobs):
  """c of one identity at two classes alike: relative_gap of the latent means' rest
  parts c(u, i) and c(u, j), against the spread of c over the global batch."""
  del batch, key, knobs
  dims = spec.model.semantic_dims
  return relative_gap(split.rest(outputs['mu'], dims), split.rest(outputs['same_mu'], dims),
                      split.rest(outputs['z_all'], dims))


def s_invariance_term(outputs, batch, key, spec, knobs):
  """s of two identities at one class alike, c_invariance's counterpart (emptying c of
  the class pushes the identity into s): relative_gap of the directions of s of the
  donor x(u', j) and of the anchor's identity at that class x(u, j)."""
  del batch, key, knobs
  direction = lambda z: sphere.normalize(split.semantic(z, spec.model.semantic_dims))
  return relative_gap(direction(outputs['donor_mu']), direction(outputs['same_mu']),
                      direction(outputs['z_all']))


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
PAIRED = ('cross', 'c_invariance', 's_invariance')   # terms that read paired identities
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
register_term('s_invariance', s_invariance_term, 0.0)
