"""Ordinal interpolation accuracy (docs/evaluation.md), written for one path and vmapped.

A path from class i to class j with S images is scored against the classes
expected along it, round(i + t (j - i)) at position t. Per path: the number of
correct images, `monotone` (the labels never step back and the ends are i and j)
and `visits` (the labels with repeats collapsed are exactly i, i±1, ..., j).
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np

from jsemrep import split
from jsemrep import sphere

PATH_KINDS = tuple(f'{interp}_{kind}' for interp in ('lerp', 'slerp')
                   for kind in ('direct', 'semantic'))


def expected_labels(start, end, ts, circular=False, num_classes=None):
  """The class expected at each path position t: round(start + t (end - start)),
  taken the shorter way round (modulo num_classes) for circular labels."""
  delta = sphere.class_step(start, end, circular, num_classes)
  labels = jnp.round(start + ts * delta).astype(jnp.int32)
  return jnp.mod(labels, num_classes) if circular else labels


def path_correct(predicted, start, end, ts, circular=False, num_classes=None):
  """Per-image correctness of one path's predicted labels, (S,) -> (S,) bool."""
  return predicted == expected_labels(start, end, ts, circular, num_classes)


def _signed_steps(predicted, start, end, circular, num_classes):
  """Each label change along the path, in units of the path's direction."""
  direction = jnp.sign(sphere.class_step(start, end, circular, num_classes))
  return sphere.class_step(predicted[:-1], predicted[1:], circular, num_classes) * direction


def path_monotone(predicted, start, end, circular=False, num_classes=None):
  """True when the labels go from `start` to `end` without ever stepping back
  (they may skip classes: 0,0,0,9,9,9 from 0 to 9 is monotone)."""
  steps = _signed_steps(predicted, start, end, circular, num_classes)
  return (predicted[0] == start) & (predicted[-1] == end) & jnp.all(steps >= 0)


def path_visits(predicted, start, end, circular=False, num_classes=None):
  """True when the labels, repeats collapsed, are exactly start, start±1, ..., end:
  every class in between visited, in order, and nothing else."""
  steps = _signed_steps(predicted, start, end, circular, num_classes)
  return ((predicted[0] == start) & (predicted[-1] == end) &
          jnp.all((steps == 0) | (steps == 1)))


@functools.partial(jax.jit, static_argnames=('circular', 'num_classes'))
def path_scores(predicted, starts, ends, ts, circular=False, num_classes=None):
  """predicted (P, S) labels of P paths -> per path: correct images, monotone, visits."""
  per_path = lambda p, i, j: (
      jnp.sum(path_correct(p, i, j, ts, circular, num_classes)),
      path_monotone(p, i, j, circular, num_classes),
      path_visits(p, i, j, circular, num_classes))
  correct, monotone, visits = jax.vmap(per_path)(predicted, starts, ends)
  return {'correct': correct, 'monotone': monotone, 'visits': visits}


def draw_pairs(labels, num_classes, per_pair, seed, circular=False):
  """Test-example pairs for every ordered class pair (i, j), i != j, `per_pair`
  each, drawn with `seed` alone (not the training seed), so every run evaluated
  with the same seed is scored on the same paths. Returns (start indices, end
  indices) grouped by the pair's class distance, shortest first."""
  rng = np.random.default_rng(seed)
  by_class = [np.flatnonzero(labels == c) for c in range(num_classes)]
  pairs = [(i, j) for i in range(num_classes) for j in range(num_classes) if i != j]
  distance = lambda p: abs(int(sphere.class_step(p[0], p[1], circular, num_classes)))
  pairs.sort(key=distance)
  starts = np.array([rng.choice(by_class[i]) for i, _ in pairs for _ in range(per_pair)])
  ends = np.array([rng.choice(by_class[j]) for _, j in pairs for _ in range(per_pair)])
  return starts, ends


READ_BLOCK = 8192   # codes decoded at once: bounds the images held (64x64x3: 400 MB)


def _read_decoded(codes, decode, readers):
  """{name: labels (M,)} of each reader on the images decoded from codes (M, d), in
  blocks of READ_BLOCK codes."""
  out = {name: np.empty(len(codes), np.int32) for name in readers}
  for start in range(0, len(codes), READ_BLOCK):
    images = decode(codes[start:start + READ_BLOCK])
    for name, read in readers.items():
      out[name][start:start + len(images)] = np.asarray(read(images))
  return out


def ordinal_study(z, labels, prototypes, decode, classify, per_step, per_pair, seed,
                  circular=False, semantic_dims=0, second=None):
  """Scores of direct and semantic, lerp and slerp paths between encoded examples.

  z: (N, d) codes of the evaluated split, labels (N,); prototypes (K, d);
  decode: codes (M, d) -> images; classify: images -> labels (M,); semantic_dims: D
  of a split latent (paths on s, prototypes (K, D), the rest moving linearly:
  jsemrep.split); second: the second reader (images -> labels), which reads the same
  images: its per-path results go to raw[kind]['second'] and the images both read
  alike to raw[kind]['agreement']. Paths between
  classes d apart have per_step * d + 1 images. Returns (scores, raw): scores
  {kind: {'accuracy', 'monotone', 'visits', 'images', 'paths'}}; raw holds the
  pairs and, per kind, every path's predicted labels and per-path results, so
  intervals can be recomputed (docs/evaluation.md, JSON fields).
  """
  k = prototypes.shape[0]
  starts, ends = draw_pairs(labels, k, per_pair, seed, circular)
  y1, y2 = labels[starts], labels[ends]
  distances = np.abs(np.asarray(sphere.class_step(y1, y2, circular, k)))
  raw = {'start_index': starts.tolist(), 'end_index': ends.tolist(),
         'start_class': y1.tolist(), 'end_class': y2.tolist(), 'kinds': {}}
  empty = lambda: {'predicted': [], 'correct': [], 'monotone': [], 'visits': []}
  for name in PATH_KINDS:
    raw['kinds'][name] = empty() if second is None else {**empty(), 'second': empty()}
  groups, codes = [], []   # every path's codes first: one decode and one read of them all
  for name in PATH_KINDS:
    interp, kind = name.split('_')
    for distance in np.unique(distances):
      sel = distances == distance
      ts = sphere.path_ts(per_step * int(distance) + 1)
      a, b = jnp.asarray(z[starts[sel]]), jnp.asarray(z[ends[sel]])
      ya, yb = jnp.asarray(y1[sel]), jnp.asarray(y2[sel])
      if kind == 'direct':
        group = split.direct_paths(a, b, ts, interp, semantic_dims)
      else:
        group = split.semantic_paths(a, b, ya, yb, prototypes, ts, interp, circular,
                                     semantic_dims)
      groups.append((raw['kinds'][name], ya, yb, ts, group.shape[:2]))
      codes.append(np.asarray(group).reshape(-1, group.shape[-1]))
  read = _read_decoded(np.concatenate(codes), decode,
                       {'first': classify} if second is None else
                       {'first': classify, 'second': second})
  offset = 0
  for per_kind, ya, yb, ts, shape in groups:
    size = shape[0] * shape[1]
    for reader, labels_read in read.items():
      record = per_kind if reader == 'first' else per_kind['second']
      predicted = labels_read[offset:offset + size].reshape(shape)
      scores = path_scores(jnp.asarray(predicted), ya, yb, ts, circular, k)
      record['predicted'] += predicted.tolist()
      for key in ('correct', 'monotone', 'visits'):
        record[key] += np.asarray(scores[key]).tolist()
    offset += size
  if second is not None:
    for per_kind in raw['kinds'].values():
      per_kind['agreement'] = [int(np.sum(np.array(a) == np.array(b))) for a, b in
                               zip(per_kind['predicted'], per_kind['second']['predicted'])]
  return summarize(raw), raw


def summarize(raw):
  """{kind: {'accuracy', 'monotone', 'visits', 'images', 'paths'}} of raw per-path
  results; with a second reader also 'second' (its own such scores) and 'agreement'
  (the share of images both readers read alike)."""
  out = {}
  for name, per_kind in raw['kinds'].items():
    out[name] = path_summary(per_kind)
    if 'second' in per_kind:
      out[name]['second'] = path_summary(per_kind['second'])
      out[name]['agreement'] = sum(per_kind['agreement']) / out[name]['images']
  return out


def path_summary(per_path):
  """{'accuracy', 'monotone', 'visits', 'images', 'paths'} of per-path lists of
  predicted labels, correct counts and the two path tests."""
  images = sum(len(p) for p in per_path['predicted'])
  return {'accuracy': sum(per_path['correct']) / images,
          'monotone': float(np.mean(per_path['monotone'])),
          'visits': float(np.mean(per_path['visits'])),
          'images': images, 'paths': len(per_path['predicted'])}
