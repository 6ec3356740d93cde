"""Representation metrics on latent codes: clustering accuracy and retrieval mAP."""

import numpy as np
from scipy.optimize import linear_sum_assignment


def clustering_accuracy(clusters, labels):
  """Accuracy of cluster ids under the best one-to-one cluster -> label matching."""
  clusters, labels = np.asarray(clusters), np.asarray(labels)
  n = max(clusters.max(), labels.max()) + 1
  counts = np.zeros((n, n), np.int64)
  np.add.at(counts, (clusters, labels), 1)
  rows, cols = linear_sum_assignment(-counts)
  return float(counts[rows, cols].sum() / len(labels))


def retrieval_map(codes, labels, k=None):
  """Mean average precision of retrieving same-class codes by cosine similarity
  (each code queries all others; the top k only when k is given)."""
  codes = np.asarray(codes, np.float64)
  u = codes / np.maximum(np.linalg.norm(codes, axis=1, keepdims=True), 1e-12)
  sim = u @ u.T
  np.fill_diagonal(sim, -np.inf)
  order = np.argsort(-sim, axis=1)[:, :-1]          # drop self (ranked last)
  if k is not None:
    order = order[:, :k]
  relevant = labels[order] == labels[:, None]
  hits = np.cumsum(relevant, axis=1)
  precision_at = hits / np.arange(1, relevant.shape[1] + 1)
  denom = np.maximum(relevant.sum(1), 1)
  return float(np.mean((precision_at * relevant).sum(1) / denom))
