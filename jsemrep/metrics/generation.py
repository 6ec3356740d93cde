"""FID and precision/recall (Kynkäänniemi et al. 2019) on feature vectors."""

import numpy as np
from scipy import linalg


def gaussian_stats(features):
  features = np.asarray(features, np.float64)
  return features.mean(0), np.cov(features, rowvar=False)


def frechet_distance(mu1, sigma1, mu2, sigma2):
  """|mu1 - mu2|^2 + Tr(S1 + S2 - 2 (S1 S2)^1/2)."""
  covmean = np.real(linalg.sqrtm(sigma1 @ sigma2))
  return float(np.sum((mu1 - mu2) ** 2) + np.trace(sigma1 + sigma2 - 2 * covmean))


def fid(real_features, fake_features):
  return frechet_distance(*gaussian_stats(real_features), *gaussian_stats(fake_features))


def _sq_distances(a, b):
  a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
  return np.maximum((a * a).sum(1)[:, None] + (b * b).sum(1)[None] - 2 * a @ b.T, 0.0)


def _coverage(manifold, queries, k):
  """Fraction of queries inside the union of balls around the manifold points,
  each ball reaching the point's k-th nearest neighbour in the manifold."""
  within = _sq_distances(manifold, manifold)
  radii = np.sort(within, axis=1)[:, k]   # index 0 is the point itself
  return float(np.mean(np.any(_sq_distances(queries, manifold) <= radii[None], axis=1)))


def precision_recall(real_features, fake_features, k=3):
  """(precision, recall): fakes on the real manifold, reals on the fake manifold."""
  return (_coverage(real_features, fake_features, k), _coverage(fake_features, real_features, k))
