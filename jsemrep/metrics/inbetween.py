"""The in-between score: interpolants against rendered truth (synthetic_heads, whose
test heads exist at every yaw, the in-between ones included). For a head and two of
its views i and j = i + d, the midpoint (t = 1/2) of the semantic and of the direct
slerp path between their codes is decoded and compared with the true view halfway:
for d = 1 the in-between yaw (split test_between), for d = 2 the view i + 1 the path
skips. References: the oracle (the reconstruction of the true halfway view) and the
reconstructions of either endpoint."""

import jax.numpy as jnp
import numpy as np

from jsemrep import split as split_lib
from jsemrep.metrics import image_quality
from jsemrep.metrics import viewpoint

KINDS = ('semantic', 'direct', 'oracle', 'start', 'end')
STEPS = {1: 'one_step', 2: 'two_steps'}
FRONTAL = (2, 4)   # -30 -> +30 degrees: the frontal view from two three-quarter views


def drawn_heads(identity, label, between_identity, between_label, k, count, seed):
  """(ids (U,), index (U, K), rows (R,), between (R, K - 1)): the identity table of the
  test heads (viewpoint.identity_table), `count` of its rows drawn with `seed` among the
  heads also rendered at the in-between views, and the example indices of each drawn
  head's in-between views (view k: between views k and k + 1)."""
  ids, index = viewpoint.identity_table(identity, label, k)
  between_ids, between_index = viewpoint.identity_table(between_identity, between_label, k - 1)
  rows = viewpoint.draw_identities(len(ids), count, seed)
  rows = rows[np.isin(ids[rows], between_ids)]
  between_row = {u: n for n, u in enumerate(between_ids.tolist())}
  return ids, index, rows, between_index[[between_row[u] for u in ids[rows].tolist()]]


def inbetween_study(codes, images, identity, label, between_codes, between_images,
                    between_identity, between_label, prototypes, decode, count, seed,
                    semantic_dims=0):
  """Scores of the midpoints of every kind, per class distance d in STEPS.

  codes, images (uint8), identity, label: the test split; between_*: the same heads at
  the in-between views (label k: between views k and k + 1); prototypes (K, D);
  decode: codes (M, d) -> images in [0, 1]; count identities drawn with seed.
  Every midpoint's yaw is read as the nearest (in pixels) of its head's own views,
  the in-between ones included. Returns (scores, raw): scores {kind: {one_step,
  two_steps, frontal: {l1, ssim, yaw_accuracy[, nearer]}}}, where `nearer` is the
  share of paths whose midpoint is nearer (L1) to the truth than both endpoint
  reconstructions; raw: per path identity, start and end class, and per kind l1,
  ssim, yaw, nearer."""
  k = prototypes.shape[0]
  ids, index, rows, between = drawn_heads(identity, label, between_identity, between_label, k,
                                          count, seed)
  paths = [(n, i, i + d) for d in STEPS for i in range(k - d) for n in range(len(rows))]
  n, i, j = (np.array(v) for v in zip(*paths))
  r, d = rows[n], j - i
  truth_image = np.where((d == 1)[:, None, None, None], between_images[between[n, i]],
                         images[index[r, np.minimum(i + 1, k - 1)]]).astype(np.float32) / 255
  truth_code = np.where((d == 1)[:, None], between_codes[between[n, i]],
                        codes[index[r, np.minimum(i + 1, k - 1)]])
  z1, z2 = jnp.asarray(codes[index[r, i]]), jnp.asarray(codes[index[r, j]])
  half = jnp.array([0.5])
  midpoint = {
      'semantic': split_lib.semantic_paths(z1, z2, jnp.asarray(i), jnp.asarray(j), prototypes,
                                           half, 'slerp', False, semantic_dims)[:, 0],
      'direct': split_lib.direct_paths(z1, z2, half, 'slerp', semantic_dims)[:, 0],
      'oracle': truth_code, 'start': z1, 'end': z2}
  # Each head's 13 views in yaw order: view k at 2k, in-between k at 2k + 1.
  views = np.empty((len(r), 2 * k - 1), np.int64)
  views[:, 0::2], views[:, 1::2] = index[r], -1 - between[n]
  flat = images.reshape(len(images), -1)
  between_flat = between_images.reshape(len(between_images), -1)
  expected = i + j    # the halfway yaw's place among the 13

  def nearest_view(queries, chunk=256):
    out = []
    for start in range(0, len(queries), chunk):
      at = slice(start, start + chunk)
      gallery = np.where((views[at] >= 0)[..., None], flat[np.maximum(views[at], 0)],
                         between_flat[np.maximum(-1 - views[at], 0)]).astype(np.float32) / 255
      out.append(np.argmin(np.sum((gallery - queries[at, None]) ** 2, axis=-1), axis=1))
    return np.concatenate(out)

  raw = {'identity': ids[r].tolist(), 'start_class': i.tolist(), 'end_class': j.tolist(),
         'kinds': {}}
  for kind in KINDS:
    decoded = decode(np.asarray(midpoint[kind]))
    l1, ssim = image_quality.l1_and_ssim(decoded, truth_image)
    nearest = nearest_view(decoded.reshape(len(decoded), -1))
    raw['kinds'][kind] = {'l1': np.asarray(l1).tolist(), 'ssim': np.asarray(ssim).tolist(),
                          'yaw': (nearest == expected).tolist()}
  ends = np.minimum(raw['kinds']['start']['l1'], raw['kinds']['end']['l1'])
  for kind in ('semantic', 'direct', 'oracle'):
    raw['kinds'][kind]['nearer'] = (np.array(raw['kinds'][kind]['l1']) < ends).tolist()
  return summarize(raw), raw


def selections(raw):
  """{one_step, two_steps, frontal: boolean mask of the paths of that summary cell}."""
  i, j = np.array(raw['start_class']), np.array(raw['end_class'])
  out = {name: (j - i) == d for d, name in STEPS.items()}
  out['frontal'] = (i == FRONTAL[0]) & (j == FRONTAL[1])
  return out


def summarize(raw):
  scores = {}
  for kind, per_path in raw['kinds'].items():
    scores[kind] = {}
    for name, chosen in selections(raw).items():
      cell = {'l1': float(np.mean(np.array(per_path['l1'])[chosen])),
              'ssim': float(np.mean(np.array(per_path['ssim'])[chosen])),
              'yaw_accuracy': float(np.mean(np.array(per_path['yaw'])[chosen]))}
      if 'nearer' in per_path:
        cell['nearer'] = float(np.mean(np.array(per_path['nearer'])[chosen]))
      scores[kind][name] = cell
  return scores

