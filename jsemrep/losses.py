"""Loss terms as pure functions of model outputs and batch labels."""

import functools
import math
from typing import Optional

import jax
import jax.numpy as jnp
import optax

from jsemrep import sphere

Array = jax.Array

NEIGHBORS = ('ordinal', 'adjacent', 'all')
RECONSTRUCTIONS = ('l1', 'l2', 'bce')


def reconstruction(decoded: Array, x: Array, kind: str = 'l1') -> Array:
  """Mean per-pixel error between the decoder output and the image in [0, 1].

  Args:
    decoded: decoder outputs; x: images in [0, 1] of the same shape;
    kind: 'l1' (the paper's), 'l2' or 'bce'.
  Returns:
    A scalar.

  For `bce` the decoder output is read as logits.
  """
  if kind == 'l1':
    return jnp.mean(jnp.abs(decoded - x))
  if kind == 'l2':
    return jnp.mean(jnp.square(decoded - x))
  if kind == 'bce':
    return jnp.mean(optax.sigmoid_binary_cross_entropy(decoded, x))
  raise ValueError(f'reconstruction kind must be one of {RECONSTRUCTIONS}, got {kind!r}')


def kl_divergence(mu: Array, logvar: Array) -> Array:
  """mean_i KL(N(mu_i, sigma_i^2) || N(0, I)), summed over latent dimensions.

  Args:
    mu, logvar: (B, d) posterior means and log-variances.
  Returns:
    A scalar.
  """
  kl = 0.5 * jnp.sum(jnp.exp(logvar) + jnp.square(mu) - 1.0 - logvar, axis=-1)
  return jnp.mean(kl)


def label_distance(a: Array, b: Array, period: Optional[int] = None) -> Array:
  """|a - b| in the semantic order; for circular labels (period = the number of
  classes, e.g. angle bins) the shorter way round, min(|a - b|, period - |a - b|)."""
  return jnp.abs(sphere.class_step(a, b, period is not None, period))


def _neighbor_masks(labels, anchor, neighbor, period):
  """Masks over the batch for one anchor: who may be a positive, and for a
  given positive's class distance, who may be a negative."""
  dist = label_distance(labels, labels[anchor], period)
  not_self = jnp.arange(labels.shape[0]) != anchor
  if neighbor == 'ordinal':
    positive = not_self & (dist < jnp.max(dist))
    negative = lambda pos_dist: dist > pos_dist
  elif neighbor == 'adjacent':
    positive = not_self & (dist == 0) & jnp.any(dist == 1)
    negative = lambda pos_dist: dist == 1
  elif neighbor == 'all':
    positive = not_self & (dist == 0) & jnp.any(dist > 0)
    negative = lambda pos_dist: dist > 0
  else:
    raise ValueError(f'atn.neighbor must be one of {NEIGHBORS}, got {neighbor!r}')
  return dist, positive, negative


def _random_member(scores, mask):
  """The index of the highest uniform score where mask is True: a uniformly random
  member (any index if mask is empty)."""
  return jnp.argmax(jnp.where(mask, scores, -1.0))


def _anchor_triplet(labels, anchor, scores, neighbor, period):
  dist, positive, negative = _neighbor_masks(labels, anchor, neighbor, period)
  p = _random_member(scores[0], positive)
  n_mask = negative(dist[p])
  n = _random_member(scores[1], n_mask)
  valid = jnp.any(positive) & n_mask[n]
  return anchor, p, n, valid


def triplet_indices(labels, key, neighbor='ordinal', per_anchor=1, period=None):
  """Random (anchor, positive, negative, valid) index arrays built from labels.

  Each example anchors `per_anchor` triplets; class distances are
  `label_distance(.., period)` (period: the class count of circular labels). Returns four arrays of shape
  (batch * per_anchor,); `valid` is False where the batch holds no triplet for
  that anchor under the neighbour rule. The uniform scores that pick positives
  and negatives are drawn as one array (one PRNG call, not one per anchor).
  """
  batch = labels.shape[0]
  anchors = jnp.tile(jnp.arange(batch), per_anchor)
  scores = jax.random.uniform(key, (anchors.shape[0], 2, batch))
  one = functools.partial(_anchor_triplet, labels, neighbor=neighbor, period=period)
  return jax.vmap(one)(anchors, scores)


MARGIN_MODES = ('constant', 'graded')


def angular_triplet_neighbor(z: Array, labels: Array, key: Array, margin: float,
                             neighbor: str = 'ordinal', per_anchor: int = 1,
                             period: Optional[int] = None,
                             margin_mode: str = 'constant') -> Array:
  """ATNL: mean over valid triplets of max(angle(a, p) - angle(a, n) + m, 0).

  Args:
    z: (B, d) codes; labels: (B,) classes; key: PRNG key drawing the triplets;
    margin: m in radians; neighbor: 'ordinal', 'adjacent' or 'all' (docs/README);
    per_anchor: triplets per example; period: the number of classes when the
    labels are circular (None: a line); margin_mode: 'constant' (the paper's: m) or
    'graded' (m (d_n - d_p), the class distances of negative and positive from the
    anchor: a margin an evenly spaced order along a great circle meets exactly).
  Returns:
    A scalar; 0 for a batch with no valid triplet.
  """
  if margin_mode not in MARGIN_MODES:
    raise ValueError(f'margin_mode must be one of {MARGIN_MODES}, got {margin_mode!r}')
  a, p, n, valid = triplet_indices(labels, key, neighbor, per_anchor, period)
  if margin_mode == 'graded':
    margin = margin * (label_distance(labels[n], labels[a], period) -
                       label_distance(labels[p], labels[a], period))
  angle = jax.vmap(sphere.angle)
  hinge = jax.nn.relu(angle(z[a], z[p]) - angle(z[a], z[n]) + margin)
  return jnp.sum(jnp.where(valid, hinge, 0.0)) / jnp.maximum(jnp.sum(valid), 1)


def constant_margin_unmet(margin, num_classes, neighbor):
  """Whether the ordinal rule's constant margin cannot be met: chaining triplets
  (anchor 0, positive d-1, negative d) asks angle(0, d) >= d m, beyond pi once
  (K - 1) m > pi, so the hinge never switches off."""
  return neighbor == 'ordinal' and (num_classes - 1) * margin > math.pi


def gan_discriminator(real_logits, fake_logits):
  """Binary cross-entropy of a discriminator: real -> 1, fake -> 0."""
  return jnp.mean(jax.nn.softplus(-real_logits)) + jnp.mean(jax.nn.softplus(fake_logits))


def gan_generator(fake_logits):
  """Non-saturating generator loss: -log D(fake)."""
  return jnp.mean(jax.nn.softplus(-fake_logits))


def acai_critic(alpha_pred, alpha, blend_pred):
  """ACAI critic (Berthelot et al. 2019): regress the mixing coefficient alpha from
  decoded interpolants, and predict 0 for blends of real inputs and reconstructions."""
  return jnp.mean(jnp.square(alpha_pred - alpha)) + jnp.mean(jnp.square(blend_pred))


def acai_autoencoder(alpha_pred):
  """The autoencoder's ACAI term: make interpolants look un-mixed (critic output 0)."""
  return jnp.mean(jnp.square(alpha_pred))


def _semi_hard_triplet(sq_dist, labels, anchor, scores, margin):
  """One FaceNet triplet for `anchor`: a random positive, then the semi-hard
  negative (the nearest negative farther than the positive, within the margin
  or not), falling back to the farthest negative when none is farther."""
  same = labels == labels[anchor]
  positive = same & (jnp.arange(labels.shape[0]) != anchor)
  p = _random_member(scores, positive)
  d_ap, d_an = sq_dist[anchor, p], sq_dist[anchor]
  negative = ~same
  farther = negative & (d_an > d_ap)
  semi_hard = jnp.argmin(jnp.where(farther, d_an, jnp.inf))
  easiest = jnp.argmax(jnp.where(negative, d_an, -jnp.inf))
  n = jnp.where(jnp.any(farther), semi_hard, easiest)
  valid = jnp.any(positive) & jnp.any(negative)
  return jnp.where(valid, jax.nn.relu(d_ap - d_an[n] + margin), 0.0), valid, n


def euclidean_ordinal_triplet(z: Array, labels: Array, key: Array, margin: float = 0.2,
                              per_anchor: int = 1, period: Optional[int] = None) -> Array:
  """The ATNL triplets of the ordinal rule on Euclidean distances of the codes
  themselves (no sphere): mean over valid triplets of max(|a - p| - |a - n| + m, 0).
  The baseline that separates what the angle brings from what the ordinal rule brings."""
  a, p, n, valid = triplet_indices(labels, key, 'ordinal', per_anchor, period)
  distance = lambda x, y: sphere.safe_norm(x - y)
  hinge = jax.nn.relu(distance(z[a], z[p]) - distance(z[a], z[n]) + margin)
  return jnp.sum(jnp.where(valid, hinge, 0.0)) / jnp.maximum(jnp.sum(valid), 1)


def facenet_triplet(z: Array, labels: Array, key: Array, margin: float = 0.2,
                    per_anchor: int = 1) -> Array:
  """FaceNet triplet loss on unit-normalised codes with squared Euclidean
  distances and in-batch semi-hard negative mining; mean over valid triplets."""
  u = sphere.normalize(z)
  sq_dist = jnp.sum(jnp.square(u[:, None, :] - u[None, :, :]), axis=-1)
  anchors = jnp.tile(jnp.arange(z.shape[0]), per_anchor)
  scores = jax.random.uniform(key, (anchors.shape[0], z.shape[0]))
  hinge, valid, _ = jax.vmap(lambda a, s: _semi_hard_triplet(sq_dist, labels, a, s, margin))(
      anchors, scores)
  return jnp.sum(hinge) / jnp.maximum(jnp.sum(valid), 1)
