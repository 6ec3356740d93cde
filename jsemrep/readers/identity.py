"""The identity reader: who is in an image, whatever its view. On a dataset whose
examples are identities at several views (rotated_mnist5k's source digits at 7 angles,
synthetic_heads' heads at 7 yaws), it is the evaluation CNN trained, with the readers'
recipe (augmentation, the readers' autoencoder), by FaceNet's triplet loss on its
features over batches of P training identities x K of their views, so that one
identity's views lie together. The identities of the validation and test splits are
others: it is read by its features (the penultimate layer, unit-normalised), an image
identified as the identity of its nearest neighbour. Validation picks its epoch, and its
gate reports, by *rank-1 across views*: the share of images whose nearest image at
another view is of their own identity. (Trained instead as a softmax classifier of the
3,600 training identities of rotated_mnist5k, its features stayed at chance across views
after two epochs: 0.003 on validation, where raw pixels give 0.058.)

Pixel distance is dominated by what a view changes (pose, hair and skin colour) and by
blur; features trained to ignore the view read the identity where pixels cannot."""

import numpy as np

from jsemrep.errors import DataError
from jsemrep.readers import classifier

FIELD = 'identity'


def embed(read, images):
  """Unit-normalised features (N, F) of images by a reader's `read` function
  (classifier.Reader, or its read_seen for images it has seen)."""
  features = np.asarray(read(images)[1], np.float32)
  return features / np.maximum(np.linalg.norm(features, axis=1, keepdims=True), 1e-12)


def nearest_at_another_view(queries, query_views, gallery, gallery_views, chunk=1024):
  """Index of each query's nearest gallery row (features, cosine) among the rows at a
  view other than the query's own; -1 where there is none."""
  out = np.empty(len(queries), np.int64)
  for start in range(0, len(queries), chunk):
    similarity = queries[start:start + chunk] @ gallery.T
    same = query_views[start:start + chunk, None] == gallery_views[None, :]
    similarity = np.where(same, -np.inf, similarity)
    out[start:start + chunk] = np.where(np.all(same, axis=1), -1, np.argmax(similarity, axis=1))
  return out


def rank1_across_views(queries, query_identity, query_views, gallery, gallery_identity,
                       gallery_views):
  """Share of queries whose nearest gallery image at another view is of their identity."""
  nearest = nearest_at_another_view(queries, np.asarray(query_views), gallery,
                                    np.asarray(gallery_views))
  found = np.where(nearest >= 0, np.asarray(gallery_identity)[nearest], -1)
  return float(np.mean((nearest >= 0) & (found == np.asarray(query_identity))))


def identified_across_views(model, params, split, autoencoder=None):
  """Rank-1 across views of a split ({'image', 'identity', 'view'}) against itself: the
  score the identity reader's training validates and reports (as its accuracy)."""
  features = embed(lambda images: classifier.predict(model, params, images,
                                                     autoencoder=autoencoder), split['image'])
  return rank1_across_views(features, split['identity'], split['view'], features,
                            split['identity'], split['view'])


def training_labels(identity):
  """The training identities as classes 0..U-1 (in order of their values), and U."""
  values, labels = np.unique(identity, return_inverse=True)
  return labels.astype(np.int32), len(values)


IDENTITIES_PER_BATCH, VIEWS_PER_IDENTITY = 32, 4


def identity_batches(labels, identities=IDENTITIES_PER_BATCH, views=VIEWS_PER_IDENTITY):
  """draw(seed, step) -> indices (identities * views,): `identities` distinct training
  identities (all, where fewer) of those with two examples or more, `views` of each
  one's examples (without repeats where it has as many), a pure function of seed and
  step."""
  members = [np.flatnonzero(labels == u) for u in range(int(labels.max()) + 1)]
  members = [m for m in members if len(m) >= 2]
  if len(members) < 2:
    raise DataError(f'the identity reader needs two training identities with two examples or '
                    f'more (one identity\'s views against another\'s); there are {len(members)}')
  identities = min(identities, len(members))

  def draw(seed, step):
    rng = np.random.default_rng((seed, step))
    chosen = rng.choice(len(members), identities, replace=False)
    return np.concatenate([rng.choice(members[c], views, replace=len(members[c]) < views)
                           for c in chosen])
  return draw
