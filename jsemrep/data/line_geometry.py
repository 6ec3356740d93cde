"""ACAI's lines as pixels and labels: shared by the lines builder and the lines
metrics, and importable without tensorflow-datasets."""

import math

import numpy as np


def render_line(theta, size=32, radius=15.0, width=2.0):
  """A width-px anti-aliased line from the image centre to `radius` at angle theta."""
  centre = (size - 1) / 2.0
  yy, xx = np.mgrid[0:size, 0:size].astype(np.float64)
  px, py = xx - centre, centre - yy
  dx, dy = math.cos(theta), math.sin(theta)
  along = np.clip(px * dx + py * dy, 0.0, radius)
  dist = np.hypot(px - along * dx, py - along * dy)
  coverage = np.clip(width / 2.0 + 0.5 - dist, 0.0, 1.0)
  return np.round(255 * coverage).astype(np.uint8)


def line_label(theta):
  return int(10 * theta / (2 * math.pi)) % 10
