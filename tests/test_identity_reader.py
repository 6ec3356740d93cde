"""The identity reader's search: nearest neighbours at another view, by hand."""

import numpy as np
import pytest

from jsemrep.errors import DataError
from jsemrep.readers import identity


def _unit(rows):
  rows = np.asarray(rows, np.float32)
  return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_rank1_across_views_by_hand():
  # identities 0, 0, 1, 1 at views 0, 1, 0, 1: the first three find their own at the
  # other view, the last finds identity 0's view 0 (cos 0.970 > 0.243).
  features = _unit([[1, 0], [0.9, 0.1], [0, 1], [0.8, 0.2]])
  ids, views = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
  np.testing.assert_array_equal(
      identity.nearest_at_another_view(features, views, features, views), [1, 0, 3, 0])
  assert identity.rank1_across_views(features, ids, views, features, ids, views) == 0.75


def test_a_query_with_no_other_view_in_the_gallery_is_not_identified():
  features = _unit([[1, 0], [1, 0]])
  views = np.array([3, 3])
  np.testing.assert_array_equal(
      identity.nearest_at_another_view(features, views, features, views), [-1, -1])
  assert identity.rank1_across_views(features, [5, 5], views, features, [5, 5], views) == 0.0


def test_training_identities_become_classes_in_order():
  labels, count = identity.training_labels(np.array([7, 3, 7, 9]))
  np.testing.assert_array_equal(labels, [1, 0, 1, 2])
  assert count == 3 and labels.dtype == np.int32


def test_identity_batches_hold_distinct_identities_each_at_several_views():
  labels = np.repeat(np.arange(40), 7)
  labels[-6:] = 40   # identity 40: 6 examples; identity 39 keeps 1 and is never drawn
  draw = identity.identity_batches(labels, identities=32, views=4)
  batch = draw(0, 5)
  assert len(batch) == 128 and len(set(batch.tolist())) == 128
  per_identity = np.bincount(labels[batch])
  assert set(per_identity[per_identity > 0].tolist()) == {4} and per_identity[39] == 0
  np.testing.assert_array_equal(draw(0, 5), batch)
  assert not np.array_equal(draw(0, 6), batch) and not np.array_equal(draw(1, 5), batch)
  assert len(identity.identity_batches(labels, identities=64)(0, 0)) == 40 * 4   # all there are
  with pytest.raises(DataError, match='the identity reader needs two training identities with '
                                      'two examples or more .*; there are 1'):
    identity.identity_batches(np.array([0, 0, 1, 2]))
