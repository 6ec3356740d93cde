"""Viewpoint editing scored against ground truth, on a hand-built world where the
answer is known: a code is the angle's prototype plus an identity component
orthogonal to the prototypes' plane, and an image is the code itself."""

import jax.numpy as jnp
import numpy as np
import pytest

from jsemrep import edit
from jsemrep.metrics import viewpoint

K, STEP, A = 4, 0.3, 0.5


def world():
  """Identities 0..5 at angles 0..3: code = p_angle + (A + 0.04 u) e_(2 + digit), digit =
  u % 2: every identity its own code at every angle."""
  p = np.zeros((K, 4), np.float32)
  p[:, 0], p[:, 1] = np.cos(np.arange(K) * STEP), np.sin(np.arange(K) * STEP)
  identity = np.repeat(np.arange(6), K)
  label = np.tile(np.arange(K), 6)
  digit = identity % 2
  codes = p[label] + (A + 0.04 * identity[:, None]) * np.eye(4, dtype=np.float32)[2 + digit]
  images = np.round(codes.reshape(-1, 2, 2, 1) * 255).astype(np.uint8)
  return p, codes, images, identity, label, digit


decode = lambda z: np.clip(np.asarray(z), 0, 1).reshape(-1, 2, 2, 1)


def classify(images):
  """The angle of an image's code: its nearest prototype angle."""
  codes = np.asarray(images).reshape(-1, 4)
  return np.clip(np.round(np.arctan2(codes[:, 1], codes[:, 0]) / STEP), 0, K - 1).astype(int)


def classify_digit(images):
  """The digit of an image's code: which identity component is present (0 if none)."""
  identity_part = np.asarray(images).reshape(-1, 4)[:, 2:]
  return np.where(identity_part.max(axis=1) > 0.1, np.argmax(identity_part, axis=1), 0)


def test_identity_table_keeps_identities_seen_at_every_class():
  ids, index = viewpoint.identity_table(np.array([7, 7, 9, 7, 9]), np.array([0, 1, 1, 1, 0]), 2)
  np.testing.assert_array_equal(ids, [7, 9])
  np.testing.assert_array_equal(index, [[0, 1], [4, 2]])
  ids, _ = viewpoint.identity_table(np.array([7, 7, 9]), np.array([0, 1, 1]), 2)
  np.testing.assert_array_equal(ids, [7])


def test_transport_is_perfect_where_the_world_is_its_model_and_references_are_as_built():
  p, codes, images, identity, label, digit = world()
  ops = {'transport': edit.transport, 'prototype_path': edit.prototype_path}
  scores, raw = viewpoint.viewpoint_study(codes, images, identity, label, digit, jnp.asarray(p),
                                          ops, decode, classify, classify_digit, 3, 4, 0)
  assert len(set(raw['identity'])) == 4 and len(raw['identity']) == 4 * K * (K - 1)
  t = scores['transport']
  assert t['angle_accuracy'] == 1.0 and t['identity_kept'] == 1.0 and t['visits'] == 1.0
  assert t['endpoint_l1'] < 2 / 255 and t['endpoint_ssim'] > 0.99
  # The prototype path ends on the prototype: the right angle, the identity gone
  # (classify_digit reads 0 when both identity components are 0).
  end = scores['prototype_path']
  even = np.mean(np.array(raw['identity']) % 2 == 0)
  assert 0 < even < 1 and end['endpoint_angle'] == 1.0 and end['endpoint_kept'] == even
  assert end['endpoint_l1'] > t['endpoint_l1'] + 0.05
  # The references are paths too: the oracle reads perfectly everywhere, no-edit keeps
  # the identity and stays at the start angle.
  oracle, no_edit = scores['oracle'], scores['no_edit']
  for key in ('angle_accuracy', 'conditioned_angle_accuracy', 'identity_kept', 'rank1',
              'endpoint_angle', 'endpoint_kept', 'endpoint_rank1', 'endpoint_joint',
              'endpoint_l1_gap_closed', 'visits'):
    assert oracle[key] == 1.0, key
  assert oracle['endpoint_l1'] < 2e-3 and oracle['endpoint_ssim'] > 0.999
  # `truth` is the true images themselves, not decoded: what the readers' gate compares
  # the oracle with (the same images, real).
  truth = scores['truth']
  assert truth['endpoint_l1'] == 0.0 < oracle['endpoint_l1'] and truth['images'] == oracle['images']
  assert truth['angle_accuracy'] == truth['rank1'] == truth['endpoint_joint'] == 1.0
  assert no_edit['endpoint_angle'] == 0.0 and no_edit['endpoint_kept'] == 1.0
  assert no_edit['endpoint_l1_gap_closed'] == 0.0 and no_edit['endpoint_joint'] == 0.0
  # Here the identity shows at every angle, so even the held start image is identified;
  # the joint score asks for the identity at the right angle as well.
  assert no_edit['rank1'] == 1.0
  # An editor that gives back the true image: rank-1 1, the whole L1 gap closed.
  assert t['rank1'] == 1.0 and t['endpoint_joint'] == 1.0 and t['conditioned_angle_accuracy'] == 1.0
  assert t['endpoint_l1_gap_closed'] == pytest.approx(1.0, abs=0.02)
  # The prototype path loses the identity: the gallery finds another one.
  assert end['rank1'] < 0.9 and end['endpoint_l1_gap_closed'] < t['endpoint_l1_gap_closed']
  # Raw per-path results keep what the summary is computed from.
  per_op = raw['operators']['transport']
  assert sum(per_op['kept_images']) == t['images'] and len(per_op['endpoint_l1']) == t['paths']


def test_without_a_class_to_keep_identity_is_not_scored():
  p, codes, images, identity, label, _ = world()
  scores, _ = viewpoint.viewpoint_study(codes, images, identity, label, None, jnp.asarray(p),
                                        {'arithmetic': edit.arithmetic}, decode, classify, None,
                                        1, 2, 0)
  assert 'identity_kept' not in scores['arithmetic'] and 'endpoint_kept' not in scores['oracle']


def test_no_complete_identity_is_an_error():
  p, codes, images, identity, label, digit = world()
  with pytest.raises(ValueError, match='no identity is present at every class'):
    viewpoint.viewpoint_study(codes[label > 0], images[label > 0], identity[label > 0],
                              label[label > 0], digit[label > 0], jnp.asarray(p),
                              {'transport': edit.transport}, decode, classify, classify_digit,
                              1, 2, 0)


def test_each_distinct_code_is_decoded_and_read_once():
  """The references repeat one code along a path: the study decodes every distinct
  code once (the scores stay those of the hand-built world: the tests above)."""
  p, codes, images, identity, label, digit = world()
  seen = []
  def counting_decode(z):
    seen.append(len(z))
    return decode(z)
  args = (codes, images, identity, label, digit, jnp.asarray(p), {'transport': edit.transport})
  _, raw = viewpoint.viewpoint_study(*args, counting_decode, classify, classify_digit, 1, 6, 0)
  # oracle and no_edit (the last calls, one per distance): at most 6 identities x K angles
  assert max(seen[-2 * (K - 1):]) <= 6 * K
  path_images = sum(len(p) for p in raw['operators']['transport']['predicted'])
  assert sum(seen) < 3 * path_images   # transport, oracle, no_edit, each image decoded


def identity_features(images):
  """An identity reader of this world: blind to the angle, it sees the identity part
  (A + 0.04 u) e_(2 + digit) beside a constant, unit-normalised."""
  part = np.asarray(images, np.float32).reshape(-1, 4)[:, 2:]
  if np.asarray(images).dtype == np.uint8:
    part = part / 255.0
  features = np.concatenate([part, np.full((len(part), 1), 0.5, np.float32)], axis=1)
  return features / np.linalg.norm(features, axis=1, keepdims=True)


def test_the_identity_reader_finds_the_identity_where_pixels_see_the_angle_too():
  p, codes, images, identity, label, digit = world()
  ops = {'transport': edit.transport, 'prototype_path': edit.prototype_path}
  scores, raw = viewpoint.viewpoint_study(codes, images, identity, label, digit, jnp.asarray(p),
                                          ops, decode, classify, classify_digit, 3, 4, 0,
                                          identity_features)
  for name in ('transport', 'oracle', 'truth'):
    assert scores[name]['rank1_reader'] == scores[name]['endpoint_rank1_reader'] == 1.0, name
    assert scores[name]['endpoint_joint_reader'] == 1.0, name
  # Holding the start keeps the identity (the reader ignores the angle), never the
  # target angle: rank-1 1, joint 0.
  no_edit = scores['no_edit']
  assert no_edit['endpoint_rank1_reader'] == 1.0 and no_edit['endpoint_joint_reader'] == 0.0
  # The prototype path ends on the prototype, the identity gone.
  assert scores['prototype_path']['endpoint_rank1_reader'] < 0.5
  assert len(raw['operators']['transport']['endpoint_rank1_reader']) == scores['transport']['paths']
  without, _ = viewpoint.viewpoint_study(codes, images, identity, label, digit, jnp.asarray(p),
                                         ops, decode, classify, classify_digit, 3, 4, 0)
  assert 'rank1_reader' not in without['transport']
  for key in ('rank1', 'endpoint_rank1', 'endpoint_joint', 'angle_accuracy'):
    assert without['prototype_path'][key] == scores['prototype_path'][key]
