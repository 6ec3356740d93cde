"""Every loss under jax.jit, its margin (a knob) traced, against a numpy reference
written from its definition (optax's style: the same numbers compiled and eager)."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jsemrep import losses

RNG = np.random.default_rng(0)
X = RNG.uniform(0, 1, (4, 6, 6, 1)).astype(np.float32)
DECODED = RNG.normal(0.5, 0.4, (4, 6, 6, 1)).astype(np.float32)
MU = RNG.normal(0, 1, (8, 5)).astype(np.float32)
LOGVAR = RNG.normal(0, 0.5, (8, 5)).astype(np.float32)
Z = RNG.normal(0, 1, (12, 5)).astype(np.float32)
LABELS = np.array([0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3], np.int32)
JLABELS = jnp.asarray(LABELS)
KEY = jax.random.PRNGKey(4)


def np_angle(a, b):
  cos = np.sum(a * b, -1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))
  return np.arccos(np.clip(cos, -1, 1))


def np_softplus(x):
  return np.logaddexp(0, x)


@pytest.mark.parametrize('kind, reference', [
    ('l1', lambda d, x: np.mean(np.abs(d - x))),
    ('l2', lambda d, x: np.mean((d - x) ** 2)),
    ('bce', lambda d, x: np.mean(np_softplus(d) - x * d)),
])
def test_reconstruction_under_jit(kind, reference):
  value = jax.jit(functools.partial(losses.reconstruction, kind=kind))(DECODED, X)
  np.testing.assert_allclose(value, reference(DECODED.astype(np.float64), X), rtol=1e-5)


def test_kl_under_jit():
  reference = np.mean(0.5 * np.sum(np.exp(LOGVAR) + MU ** 2 - 1 - LOGVAR, -1))
  np.testing.assert_allclose(jax.jit(losses.kl_divergence)(MU, LOGVAR), reference, rtol=1e-5)


@pytest.mark.parametrize('neighbor', losses.NEIGHBORS)
@pytest.mark.parametrize('margin_mode', losses.MARGIN_MODES)
@pytest.mark.parametrize('period', [None, 4])
def test_atnl_under_jit_with_a_traced_margin(neighbor, margin_mode, period):
  fn = jax.jit(lambda z, m: losses.angular_triplet_neighbor(
      z, JLABELS, KEY, m, neighbor, per_anchor=3, period=period, margin_mode=margin_mode))
  a, p, n, valid = map(np.asarray, losses.triplet_indices(JLABELS, KEY, neighbor, 3, period))
  for margin in (0.3, 1.2):
    m = margin
    if margin_mode == 'graded':
      distance = lambda i, j: np.abs(LABELS[i] - LABELS[j]) if period is None else np.minimum(
          np.abs(LABELS[i] - LABELS[j]), period - np.abs(LABELS[i] - LABELS[j]))
      m = margin * (distance(n, a) - distance(p, a))
    hinge = np.maximum(np_angle(Z[a], Z[p]) - np_angle(Z[a], Z[n]) + m, 0)
    reference = np.sum(np.where(valid, hinge, 0)) / max(valid.sum(), 1)
    np.testing.assert_allclose(fn(Z, jnp.float32(margin)), reference, rtol=1e-4, atol=1e-6)


def test_euclidean_ordinal_triplet_under_jit():
  fn = jax.jit(lambda z, m: losses.euclidean_ordinal_triplet(z, JLABELS, KEY, m, per_anchor=3))
  a, p, n, valid = map(np.asarray, losses.triplet_indices(JLABELS, KEY, 'ordinal', 3))
  for margin in (0.1, 0.5):
    d = lambda i, j: np.linalg.norm(Z[i] - Z[j], axis=-1)
    hinge = np.maximum(d(a, p) - d(a, n) + margin, 0)
    reference = np.sum(np.where(valid, hinge, 0)) / max(valid.sum(), 1)
    np.testing.assert_allclose(fn(Z, jnp.float32(margin)), reference, rtol=1e-4, atol=1e-6)


def test_facenet_triplet_under_jit():
  """The reference mines each anchor's semi-hard negative with numpy, from the same
  uniform scores the loss draws."""
  per_anchor = 2
  u = Z / np.linalg.norm(Z, axis=-1, keepdims=True)
  sq = np.sum((u[:, None] - u[None]) ** 2, -1)
  anchors = np.tile(np.arange(len(Z)), per_anchor)
  scores = np.asarray(jax.random.uniform(KEY, (len(anchors), len(Z))))
  for margin in (0.2, 0.6):
    hinges = []
    for anchor, score in zip(anchors, scores):
      positive = (LABELS == LABELS[anchor]) & (np.arange(len(Z)) != anchor)
      p = int(np.argmax(np.where(positive, score, -1)))
      negative = LABELS != LABELS[anchor]
      farther = negative & (sq[anchor] > sq[anchor, p])
      n = (np.argmin(np.where(farther, sq[anchor], np.inf)) if farther.any()
           else np.argmax(np.where(negative, sq[anchor], -np.inf)))
      hinges.append(max(sq[anchor, p] - sq[anchor, n] + margin, 0))
    fn = jax.jit(lambda z, m: losses.facenet_triplet(z, JLABELS, KEY, m, per_anchor))
    np.testing.assert_allclose(fn(Z, jnp.float32(margin)), np.mean(hinges), rtol=1e-4)


def test_adversarial_losses_under_jit():
  real, fake = RNG.normal(0, 2, 16).astype(np.float32), RNG.normal(0, 2, 16).astype(np.float32)
  np.testing.assert_allclose(jax.jit(losses.gan_discriminator)(real, fake),
                             np.mean(np_softplus(-real)) + np.mean(np_softplus(fake)), rtol=1e-5)
  np.testing.assert_allclose(jax.jit(losses.gan_generator)(fake), np.mean(np_softplus(-fake)),
                             rtol=1e-5)
  alpha = RNG.uniform(0, 0.5, 16).astype(np.float32)
  np.testing.assert_allclose(jax.jit(losses.acai_critic)(real, alpha, fake),
                             np.mean((real - alpha) ** 2) + np.mean(fake ** 2), rtol=1e-5)
  np.testing.assert_allclose(jax.jit(losses.acai_autoencoder)(fake), np.mean(fake ** 2),
                             rtol=1e-5)
