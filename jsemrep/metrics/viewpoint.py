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

REFERENCES = ('oracle', 'no_edit', 'truth')


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


def _read_once(keys, render, readers):
  """(images, image_of, readings) of the rows of `keys` (M, ...), rendering and reading
  each distinct row once: the references repeat one code (or true image) along a path,
  and every edit starts at a code of the split, so on a path study most rows repeat.
  images: of the distinct rows; image_of (M,): each row's; readings: each row's label
  by each of `readers` (images -> labels); render: distinct keys -> images."""
  unique, image_of = np.unique(keys, axis=0, return_inverse=True)
  image_of = image_of.reshape(-1)
  images = render(unique)
  return images, image_of, [np.asarray(read(images))[image_of] for read in readers]


def _nearest(queries, gallery):
  """Index of each query's nearest gallery row (squared L2), queries (Q, F), gallery (G, F)."""
  d = (np.sum(gallery ** 2, axis=1)[None, :] - 2.0 * queries @ gallery.T)
  return np.argmin(d, axis=1)


def _nearest_once(rows, images, gallery):
  """_nearest of images[rows] (images (N, F)), each distinct row searched once."""
  unique, inverse = np.unique(rows, return_inverse=True)
  return _nearest(images[unique], gallery)[inverse.reshape(-1)]


def _rank1(image_of, expected, rows, once, gallery_at):
  """(P, S) whether each path image (row image_of of `once`) is nearest, among
  gallery_at(c) (every identity's true image at the expected class c, in identity-row
  order), to its own identity's (`rows` (P,))."""
  rank1 = np.zeros(image_of.shape, bool)
  own = np.broadcast_to(rows[:, None], image_of.shape)
  for c in np.unique(expected):
    at = expected == c
    rank1[at] = _nearest_once(image_of[at], once, gallery_at(c)) == own[at]
  return rank1


def viewpoint_study(codes, images, identity, label, keep_class, prototypes, operators, decode,
                    classify, classify_keep, per_step, count, seed, embed=None,
                    truth_features=None):
  """Scores of every editing operator and of the oracle and no-edit references.

  codes (N, d), images (N, H, W, C) uint8, identity (N,), label (N,) (the angle) of
  the scored split; keep_class (N,): the class the edit must keep (the digit), or
  None where there is none (then `identity_kept` is not scored). operators: {name:
  op(z, source, target, prototypes, t)}; decode: codes (M, d) -> images in [0, 1];
  classify / classify_keep: images -> labels. Paths between angles d apart have
  per_step * d + 1 images. The references are paths too: `no_edit` holds the start
  code at every position, `oracle` takes at each position the code of the identity's
  true image at the expected angle, and `truth` is that true image itself, not decoded
  (what the readers read of real images along the same paths: their gate's reference).

  Besides the classifiers' readings, every path image is read against the true images
  in pixels: its *identity-conditioned angle* (which of the identity's own views is
  nearest) and *rank-1* identification (whether, among the true images of every
  identity of the split at the expected angle, its own is nearest); the endpoint also
  gets the *joint* rank-1 (nearest of all true images at all angles is its own at the
  target angle) and the share of the L1 gap closed, (L1_no-edit - L1) / (L1_no-edit -
  L1_oracle), kept per path as numerator and denominator. embed: the identity reader
  (images -> unit features, jsemrep.readers.identity), or None: with it, rank-1 and the
  endpoint's rank-1 are read in its features too (`rank1_reader`, `endpoint_rank1_reader`),
  and `endpoint_joint_reader` asks for the target angle (by the angle reader) and the
  identity (by the identity reader) at once: a reader trained to ignore the view cannot
  tell the views of one identity apart, so the pixel joint score has no reader twin.
  truth_features: embed(images), where the caller has them already.

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
  truth = images.astype(np.float32) / 255.0
  flat = truth.reshape(len(truth), -1)
  if embed is not None and truth_features is None:
    truth_features = embed(images)
  keep = None if keep_class is None else keep_class[start_index]
  raw = {'identity': ids[path_rows].tolist(), 'start_class': starts.tolist(),
         'end_class': ends.tolist(), 'start_index': start_index.tolist(),
         'end_index': end_index.tolist(), 'operators': {}}
  distances = np.abs(ends - starts)
  readers = [classify] if keep is None else [classify, classify_keep]
  for name in [*operators, *REFERENCES]:
    per_op = {key: [] for key in ('predicted', 'kept', 'correct', 'monotone', 'visits',
                                  'kept_images', 'both', 'conditioned', 'rank1')}
    endpoints, endpoint_rank1, endpoint_angle, endpoint_kept, joint = [], [], [], [], []
    by_reader = {'rank1_reader': [], 'endpoint_rank1_reader': [], 'endpoint_joint_reader': []}
    for distance in np.unique(distances):   # `pairs` is sorted by distance: path order
      sel = np.flatnonzero(distances == distance)
      ts = sphere.path_ts(per_step * int(distance) + 1)
      ya, yb = jnp.asarray(starts[sel]), jnp.asarray(ends[sel])
      expected = np.asarray(jax.vmap(interpolation.expected_labels, in_axes=(0, 0, None))(
          ya, yb, ts))
      shape = expected.shape
      if name == 'truth':
        images_once, image_of, readings = _read_once(
            index[path_rows[sel][:, None], expected].reshape(-1), lambda rows: truth[rows],
            readers)
      else:
        if name == 'no_edit':
          paths = np.repeat(codes[start_index[sel]][:, None], len(ts), axis=1)
        elif name == 'oracle':
          paths = codes[index[path_rows[sel][:, None], expected]]
        else:
          paths = np.asarray(_edit_paths(operators[name], jnp.asarray(codes[start_index[sel]]),
                                         ya, yb, prototypes, ts))
        images_once, image_of, readings = _read_once(paths.reshape(-1, paths.shape[-1]),
                                                     decode, readers)
      flat_once = images_once.reshape(len(images_once), -1)
      image_of = image_of.reshape(shape)
      queries = flat_once[image_of]
      predicted = readings[0].reshape(shape).astype(np.int32)
      scores = interpolation.path_scores(jnp.asarray(predicted), ya, yb, ts)
      own_views = flat[index[path_rows[sel]]]                       # (P, K, F)
      nearest_view = np.stack([_nearest(q, v) for q, v in zip(queries, own_views)])
      rank1 = _rank1(image_of, expected, path_rows[sel], flat_once, lambda c: flat[index[:, c]])
      if embed is not None:
        features_once = embed(images_once)
        reader_rank1 = _rank1(image_of, expected, path_rows[sel], features_once,
                              lambda c: truth_features[index[:, c]])
        by_reader['rank1_reader'] += reader_rank1.sum(axis=1).tolist()
        by_reader['endpoint_rank1_reader'] += reader_rank1[:, -1].tolist()
        by_reader['endpoint_joint_reader'] += (
            reader_rank1[:, -1] & (predicted[:, -1] == ends[sel])).tolist()
      if keep is None:
        kept = np.ones(shape, bool)
      else:
        kept = readings[1].reshape(shape) == keep[sel][:, None]
        per_op['kept'] += kept.astype(int).tolist()
      per_op['predicted'] += predicted.tolist()
      per_op['kept_images'] += kept.sum(axis=1).tolist()
      per_op['both'] += (kept & (predicted == expected)).sum(axis=1).tolist()
      per_op['conditioned'] += (nearest_view == expected).sum(axis=1).tolist()
      per_op['rank1'] += rank1.sum(axis=1).tolist()
      for key in ('correct', 'monotone', 'visits'):
        per_op[key] += np.asarray(scores[key]).tolist()
      endpoints.append(images_once[image_of[:, -1]])
      joint.append(_nearest_once(image_of[:, -1], flat_once, flat[index.reshape(-1)]))
      endpoint_rank1 += rank1[:, -1].tolist()
      endpoint_angle += (predicted[:, -1] == ends[sel]).tolist()
      endpoint_kept += kept[:, -1].tolist()
    endpoints = np.concatenate(endpoints)
    l1, ssim = image_quality.l1_and_ssim(endpoints, truth[end_index])
    per_op.update(endpoint_l1=np.asarray(l1).tolist(), endpoint_ssim=np.asarray(ssim).tolist(),
                  endpoint_angle=endpoint_angle,
                  endpoint_rank1=endpoint_rank1,
                  endpoint_joint=(index.reshape(-1)[np.concatenate(joint)] == end_index).tolist())
    if embed is not None:
      per_op.update(by_reader)
    if keep is None:
      del per_op['kept'], per_op['kept_images'], per_op['both']
    else:
      per_op['endpoint_kept'] = endpoint_kept
    raw['operators'][name] = per_op
  for per_op in raw['operators'].values():
    no_edit, oracle = (np.array(raw['operators'][r]['endpoint_l1']) for r in ('no_edit', 'oracle'))
    per_op['gap_closed_num'] = (no_edit - np.array(per_op['endpoint_l1'])).tolist()
    per_op['gap_closed_den'] = (no_edit - oracle).tolist()
  return summarize(raw), raw


def summarize(raw):
  """{operator or reference: {metric: value}} of raw per-path results."""
  out = {}
  for name, per_op in raw['operators'].items():
    row = interpolation.path_summary(per_op)
    row['angle_accuracy'] = row.pop('accuracy')
    images = row['images']
    row['conditioned_angle_accuracy'] = sum(per_op['conditioned']) / images
    row['rank1'] = sum(per_op['rank1']) / images
    if 'rank1_reader' in per_op:
      row['rank1_reader'] = sum(per_op['rank1_reader']) / images
    if 'kept_images' in per_op:
      row['identity_kept'] = sum(per_op['kept_images']) / images
      row['angle_and_identity'] = sum(per_op['both']) / images
    for key in ('endpoint_l1', 'endpoint_ssim', 'endpoint_angle', 'endpoint_kept',
                'endpoint_rank1', 'endpoint_joint', 'endpoint_rank1_reader',
                'endpoint_joint_reader'):
      if key in per_op:
        row[key] = float(np.mean(per_op[key]))
    den = float(np.sum(per_op['gap_closed_den']))
    row['endpoint_l1_gap_closed'] = float(np.sum(per_op['gap_closed_num'])) / den if den else None
    out[name] = row
  return out
