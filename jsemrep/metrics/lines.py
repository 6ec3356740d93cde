"""ACAI's lines metrics (DESIGN §5): Mean Distance and Smoothness of interpolations."""

import numpy as np

from jsemrep.data import builders


def reference_lines(count=10_000):
  """(thetas, images (count, 32*32)) at theta = linspace(0, 2pi) without the end point."""
  thetas = np.linspace(0, 2 * np.pi, count, endpoint=False)
  images = np.stack([builders.render_line(t).reshape(-1) / 255.0 for t in thetas])
  return thetas, images


def nearest_reference(images, reference_images, chunk=2048):
  """(index of the nearest reference by cosine distance, that distance) per image."""
  flat = images.reshape(len(images), -1).astype(np.float64)
  ref = reference_images / np.maximum(np.linalg.norm(reference_images, axis=1, keepdims=True), 1e-12)
  indices, distances = [], []
  for i in range(0, len(flat), chunk):
    q = flat[i:i + chunk]
    q = q / np.maximum(np.linalg.norm(q, axis=1, keepdims=True), 1e-12)
    cos = q @ ref.T
    best = cos.argmax(1)
    indices.append(best)
    distances.append(1.0 - cos[np.arange(len(q)), best])
  return np.concatenate(indices), np.concatenate(distances)


def smoothness(path_thetas):
  """max_i dtheta_i - 1/(N-1) for one path's unwrapped angles; 0 for an evenly spaced
  path, larger when the angle jumps. A path whose end angle equals its start (it
  never moves, e.g. a model decoding blank images) gets the worst value, 1 - 1/(N-1)."""
  thetas = np.unwrap(np.asarray(path_thetas))
  total = np.abs(thetas[-1] - thetas[0])
  if total < 1e-12:
    return 1.0 - 1.0 / (len(thetas) - 1)
  steps = np.abs(np.diff(thetas)) / total
  return float(steps.max() - 1.0 / (len(thetas) - 1))


def lines_scores(path_images, reference):
  """path_images (P, S, H, W, C) -> {'mean_distance', 'smoothness'} (means over paths)."""
  thetas, images = reference
  p, s = path_images.shape[:2]
  idx, dist = nearest_reference(path_images.reshape(p * s, -1), images)
  matched = thetas[idx].reshape(p, s)
  return {'mean_distance': float(dist.mean()),
          'smoothness': float(np.mean([smoothness(t) for t in matched]))}
