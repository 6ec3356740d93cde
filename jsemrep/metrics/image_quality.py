"""Per-image distances to a ground-truth image: L1 and SSIM (Wang et al. 2004),
written for one pair of images in [0, 1] and vmapped."""

import functools

import jax
import jax.numpy as jnp
import numpy as np

from jsemrep import inference

SSIM_WINDOW = 11      # Gaussian window, as in Wang et al. and skimage's gaussian_weights=True
SSIM_SIGMA = 1.5
SSIM_K1, SSIM_K2 = 0.01, 0.03


def l1(x, y):
  """Mean absolute pixel difference of two images in [0, 1]."""
  return jnp.mean(jnp.abs(x - y))


def _gaussian(size, sigma):
  """The 1-D Gaussian whose outer product with itself is SSIM's window (it sums to 1)."""
  r = jnp.arange(size) - (size - 1) / 2
  g = jnp.exp(-r ** 2 / (2 * sigma ** 2))
  return g / g.sum()


def _filter(image, g):
  """'valid' 2-D filtering of each channel of an (H, W, C) image by the window
  outer(g, g), as two 1-D passes (2n multiply-adds a pixel instead of n^2)."""
  n = g.shape[0]
  rows = sum(g[k] * image[k:k + image.shape[0] - n + 1] for k in range(n))
  return sum(g[k] * rows[:, k:k + image.shape[1] - n + 1] for k in range(n))


def ssim(x, y, window_size=SSIM_WINDOW, sigma=SSIM_SIGMA):
  """Mean structural similarity of two (H, W, C) images in [0, 1] (data range 1):
  local means, variances and covariance under a Gaussian window, over the windows
  that fit inside the image, averaged over positions and channels. 1 for x = y."""
  g = _gaussian(min(window_size, x.shape[0], x.shape[1]), sigma)
  c1, c2 = SSIM_K1 ** 2, SSIM_K2 ** 2
  f = functools.partial(_filter, g=g)
  mu_x, mu_y = f(x), f(y)
  var_x = f(x * x) - mu_x ** 2
  var_y = f(y * y) - mu_y ** 2
  cov = f(x * y) - mu_x * mu_y
  s = ((2 * mu_x * mu_y + c1) * (2 * cov + c2) /
       ((mu_x ** 2 + mu_y ** 2 + c1) * (var_x + var_y + c2)))
  return jnp.mean(s)


@jax.jit
def _l1_and_ssim(pairs):
  x, y = pairs[:, 0], pairs[:, 1]
  return jax.vmap(l1)(x, y), jax.vmap(ssim)(x, y)


def l1_and_ssim(x, y, chunk=256):
  """(N,) L1 and (N,) SSIM of N image pairs (N, H, W, C), `chunk` pairs per call: SSIM's
  windows over thousands of 64x64x3 images at once would take tens of GB."""
  pairs = np.stack([np.asarray(x, np.float32), np.asarray(y, np.float32)], axis=1)
  return inference.map_in_chunks(_l1_and_ssim, pairs, chunk)
