"""Viewpoint editing scored against ground truth (docs/evaluation.md).

On a dataset that holds every identity (a source digit, a face) at every class
(angle), an edit of identity u from angle i toward angle j has a true answer: the
image of u at angle j. For every chosen identity and ordered angle pair (i, j),
each operator of jsemrep.edit moves the code of u at i toward j; the decoded path
is scored for its angles (the evaluation classifier, expected round(i + t (j - i))),
for keeping the identity (a classifier of the identity's class, e.g. the digit), and
at its end against the true image (L1, SSIM), beside the *oracle* (the
reconstruction of the true image) and *no edit* (the reconstruction of the start).
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np

from jsemrep import edit
from jsemrep import sphere
from jsemrep.metrics import image_quality
from jsemrep.metrics import interpolation

REFERENCES = ('oracle', 'no_edit')


def identity_table(identity, label, num_classes):
  """(ids (U,), index (U, K)): the identities present at every class, and the example
  index of each at each class (the first one where an identity repeats a class)."""
  ids = np.unique(identity[identity >= 0])
  position = {u: n for n, u in enumerate(ids.tolist())}
  index = np.full((len(ids), num_classes), -1, np.int64)
  for example in range(len(identity) - 1, -1, -1):
    if identity[example] >= 0:
      index[position[int(identity[example])], label[example]] = example
  complete = np.all(index >= 0, axis=1)
  return ids[complete], index[complete]


def draw_identities(num_identities, count, seed):
  """`count` of the identity rows, drawn with `seed` alone (runs evaluated with one
  seed share their identities and paths), in increasing order."""
  rng = np.random.default_rng(seed)
  return np.sort(rng.choice(num_identities, min(count, num_identities), replace=False))


@functools.partial(jax.jit, static_argnums=0)
def _edit_paths(op, z, source, target, prototypes, ts):
  return edit.edit_paths(op, z, source, target, prototypes, ts)


def viewpoint_study(codes, images, identity, label, keep_class, prototypes, operators, decode,
                    classify, classify_keep, per_step, count, seed):
  """Scores of every editing operator, and of the oracle and no-edit references.

  codes (N, d), images (N, H, W, C) uint8, identity (N,), label (N,) (the angle) of
  the scored split; keep_class (N,): the class the edit must keep (the digit), or
  None where there is none (then `identity_kept` is not scored). operators: {name:
  op(z, source, target, prototypes, t)}; decode: codes (M, d) -> images in [0, 1];
  classify / classify_keep: images -> labels. Paths between angles d apart have
  per_step * d + 1 images.

  Returns (scores, raw): scores {operator or reference: {metric: value}}, raw every
  path's identity, angles, predicted labels and per-path results.
  """
  k = prototypes.shape[0]
  ids, index = identity_table(identity, label, k)
  if not len(ids):
    raise ValueError('no identity is present at every class; viewpoint editing needs each '
                     'identity at every angle')
  rows = draw_identities(len(ids), count, seed)
  pairs = sorted(((i, j) for i in range(k) for j in range(k) if i != j),
                 key=lambda p: abs(p[1] - p[0]))
  path_rows = np.array([r for i, j in pairs for r in rows])
  starts = np.array([i for i, j in pairs for _ in rows])
  ends = np.array([j for i, j in pairs for _ in rows])
  start_index, end_index = index[path_rows, starts], index[path_rows, ends]
  truth = images[end_index].astype(np.float32) / 255.0
  keep = None if keep_class is None else keep_class[start_index]
  raw = {'identity': ids[path_rows].tolist(), 'start_class': starts.tolist(),
         'end_class': ends.tolist(), 'start_index': start_index.tolist(),
         'end_index': end_index.tolist(), 'operators': {}}

  def endpoint_fields(decoded, target):
    l1, ssim = image_quality.l1_and_ssim(decoded, truth)
    fields = {'endpoint_l1': np.asarray(l1).tolist(), 'endpoint_ssim': np.asarray(ssim).tolist(),
              'endpoint_angle': (np.asarray(classify(decoded)) == target).tolist()}
    if keep is not None:
      fields['endpoint_kept'] = (np.asarray(classify_keep(decoded)) == keep).tolist()
    return fields

  raw['oracle'] = endpoint_fields(decode(codes[end_index]), ends)
  raw['no_edit'] = endpoint_fields(decode(codes[start_index]), ends)
  distances = np.abs(ends - starts)
  for name, op in operators.items():
    per_op = {'predicted': [], 'kept': [], 'correct': [], 'monotone': [], 'visits': [],
              'kept_images': [], 'both': [], 'endpoint': []}
    for distance in np.unique(distances):
      sel = np.flatnonzero(distances == distance)
      ts = sphere.path_ts(per_step * int(distance) + 1)
      ya, yb = jnp.asarray(starts[sel]), jnp.asarray(ends[sel])
      paths = _edit_paths(op, jnp.asarray(codes[start_index[sel]]), ya, yb, prototypes, ts)
      flat = np.asarray(paths).reshape(-1, paths.shape[-1])
      decoded = decode(flat)
      shape = paths.shape[:2]
      predicted = np.asarray(classify(decoded)).reshape(shape).astype(np.int32)
      scores = interpolation.path_scores(jnp.asarray(predicted), ya, yb, ts)
      expected = np.asarray(jax.vmap(interpolation.expected_labels, in_axes=(0, 0, None))(ya, yb, ts))
      if keep is None:
        kept = np.ones(shape, bool)
      else:
        kept = np.asarray(classify_keep(decoded)).reshape(shape) == keep[sel][:, None]
        per_op['kept'] += kept.astype(int).tolist()
      per_op['predicted'] += predicted.tolist()
      per_op['kept_images'] += kept.sum(axis=1).tolist()
      per_op['both'] += (kept & (predicted == expected)).sum(axis=1).tolist()
      for key in ('correct', 'monotone', 'visits'):
        per_op[key] += np.asarray(scores[key]).tolist()
      per_op['endpoint'].append(decoded.reshape(*shape, *decoded.shape[1:])[:, -1])
    # `pairs` is sorted by distance, so the groups above come in path order.
    endpoints = np.concatenate(per_op.pop('endpoint'))
    per_op.update(endpoint_fields(endpoints, ends))
    if keep is None:
      del per_op['kept'], per_op['kept_images'], per_op['both']
    raw['operators'][name] = per_op
  return summarize(raw), raw


def summarize(raw):
  """{operator or reference: {metric: value}} of raw per-path results."""
  out = {}
  for name, per_op in raw['operators'].items():
    row = interpolation.path_summary(per_op)
    row['angle_accuracy'] = row.pop('accuracy')
    images = row['images']
    if 'kept_images' in per_op:
      row['identity_kept'] = sum(per_op['kept_images']) / images
      row['angle_and_identity'] = sum(per_op['both']) / images
    out[name] = {**row, **_endpoint_summary(per_op)}
  for name in REFERENCES:
    out[name] = _endpoint_summary(raw[name])
  return out


def _endpoint_summary(fields):
  out = {'endpoint_l1': float(np.mean(fields['endpoint_l1'])),
         'endpoint_ssim': float(np.mean(fields['endpoint_ssim'])),
         'endpoint_angle': float(np.mean(fields['endpoint_angle']))}
  if 'endpoint_kept' in fields:
    out['endpoint_kept'] = float(np.mean(fields['endpoint_kept']))
  return out
