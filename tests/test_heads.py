"""synthetic_heads: the renderer and the builder (on a handful of heads)."""

import numpy as np
import pytest

from jsemrep import data
from jsemrep.data import head_geometry
from jsemrep.data import synthetic_heads

NO_JITTER = (0.0, 0.0, 1.0)


def one_head(seed=0):
  return {k: v[0] for k, v in head_geometry.draw_identities(seed, 1).items()}


def parts_at(yaw_deg, head=None):
  _, parts = head_geometry.render(head or one_head(), np.radians(yaw_deg), NO_JITTER)
  return np.asarray(parts)


def test_rendering_is_deterministic_in_the_seed():
  np.random.seed(1)   # the global RNG's state must not matter
  heads = head_geometry.draw_identities(3, 4)
  np.random.seed(2)
  again = head_geometry.draw_identities(3, 4)
  assert all(np.array_equal(heads[k], again[k]) for k in heads)
  yaws, light = np.radians([-90, -30, 30, 60]), np.tile(NO_JITTER, (4, 1))
  first = head_geometry.render_batch(heads, yaws, light)
  assert first.dtype == np.uint8 and first.shape == (4, 64, 64, 3)
  assert first.tobytes() == head_geometry.render_batch(heads, yaws, light).tobytes()
  other = head_geometry.draw_identities(4, 4)
  assert not np.array_equal(first, head_geometry.render_batch(other, yaws, light))


def test_turning_hides_the_far_eye_which_an_in_plane_rotation_would_not():
  """At yaw +90 the eye on the head's +x side faces away (none of its pixels are
  drawn) while the other eye is seen; at -90 the reverse; at 0 both are seen alike."""
  for seed in range(3):
    head = one_head(seed)
    front, right, left = (parts_at(y, head) for y in (0, 90, -90))
    left_eye = lambda p: int(np.sum(p == head_geometry.EYE_LEFT))
    right_eye = lambda p: int(np.sum(p == head_geometry.EYE_RIGHT))
    assert left_eye(front) > 20 and abs(left_eye(front) - right_eye(front)) < 0.2 * left_eye(front)
    assert left_eye(right) == 0 and right_eye(right) > 0
    assert right_eye(left) == 0 and left_eye(left) > 0
    assert np.sum(front == head_geometry.MOUTH) > 0


def test_a_profile_is_not_a_rotated_frontal_view():
  """The silhouette (pixels not background) changes with yaw, and the profile is not the
  frontal view mirrored or rotated in the image plane."""
  front, profile = parts_at(0) > 0, parts_at(90) > 0
  assert np.mean(front != profile) > 0.01
  for k in range(4):
    assert np.mean(np.rot90(front, k) != profile) > 0.01


@pytest.fixture(scope='module')
def heads_dir(tmp_path_factory):
  builder = synthetic_heads.SyntheticHeads
  saved, builder.IDENTITIES = builder.IDENTITIES, 20
  directory = tmp_path_factory.mktemp('heads')
  try:
    splits = {split: data.load('synthetic_heads', split, str(directory))
              for split in ('train', 'validation', 'test', 'test_between')}
    splits['directory'] = directory
    yield splits
  finally:
    builder.IDENTITIES = saved


def test_every_head_at_every_view_and_the_splits_disjoint_by_identity(heads_dir):
  splits = {k: v for k, v in heads_dir.items() if k != 'directory'}
  sizes = {name: len(set(s['identity'])) for name, s in splits.items()}
  assert sizes == {'train': 16, 'validation': 2, 'test': 2, 'test_between': 2}
  members = {name: set(s['identity'].tolist()) for name, s in splits.items()}
  assert not members['train'] & members['validation']
  assert not (members['train'] | members['validation']) & members['test']
  assert members['test_between'] == members['test']
  for name, yaws in (('train', synthetic_heads.YAWS_DEG), ('test', synthetic_heads.YAWS_DEG),
                     ('test_between', synthetic_heads.BETWEEN_YAWS_DEG)):
    s = splits[name]
    for identity in members[name]:
      at = s['identity'] == identity
      assert sorted(s['yaw_deg'][at].tolist()) == list(yaws)
      np.testing.assert_array_equal(s['label'][at][np.argsort(s['yaw_deg'][at])],
                                    np.arange(len(yaws)))
  assert splits['train']['image'].shape[1:] == (64, 64, 3)


def test_inbetween_scores_a_perfect_oracle_and_do_nothing_endpoints(heads_dir):
  """With codes that are the pixels and a decoder that reshapes them, the oracle's
  midpoint is the truth itself (L1 0, its yaw read right, nearer than both ends) and
  an endpoint is never read at the halfway yaw."""
  from jsemrep import sphere  # pylint: disable=import-outside-toplevel
  from jsemrep.metrics import inbetween  # pylint: disable=import-outside-toplevel
  test, between = heads_dir['test'], heads_dir['test_between']
  pixels = lambda images: images.reshape(len(images), -1).astype(np.float32) / 255
  prototypes = sphere.class_prototypes(pixels(test['image']), test['label'], 7)
  scores, raw = inbetween.inbetween_study(
      pixels(test['image']), test['image'], test['identity'], test['label'],
      pixels(between['image']), between['image'], between['identity'], between['label'],
      prototypes, lambda codes: np.asarray(codes).reshape(-1, 64, 64, 3), 2, 0)
  assert len(raw['identity']) == 2 * (6 + 5)
  for cell in ('one_step', 'two_steps', 'frontal'):
    assert scores['oracle'][cell]['l1'] == 0.0 and scores['oracle'][cell]['yaw_accuracy'] == 1.0
    assert scores['oracle'][cell]['nearer'] == 1.0
    assert scores['start'][cell]['yaw_accuracy'] == 0.0 and scores['start'][cell]['l1'] > 0


def test_a_run_on_heads_trains_and_its_inbetween_record_feeds_the_report(heads_dir, make_config,
                                                                        tmp_path, monkeypatch):
  import json  # pylint: disable=import-outside-toplevel
  from eval import common  # pylint: disable=import-outside-toplevel
  from jsemrep import report  # pylint: disable=import-outside-toplevel
  from jsemrep import plots  # pylint: disable=import-outside-toplevel
  from jsemrep.evaluators import inbetween as inbetween_lib  # pylint: disable=import-outside-toplevel
  from train import train  # pylint: disable=import-outside-toplevel
  drawn = {}
  monkeypatch.setattr(plots, 'image_rows', lambda rows, path, title=None: drawn.update(rows=rows))
  workdir = tmp_path / 'runs' / 'atnl' / 'seed0'
  config = make_config(**{'data.name': 'synthetic_heads', 'data.manual_dir': '',
                          'data.data_dir': str(heads_dir['directory']),
                          'atn.margin': 0.9})
  train.train_and_evaluate(config, workdir)
  common.evaluate(str(workdir), ['inbetween'], flag_values={'identities': 2})
  record = json.loads((workdir / 'eval' / 'inbetween.json').read_text())
  assert record['identities_scored'] == 2 and set(record['scores']) == set(
      ('semantic', 'direct', 'oracle', 'start', 'end'))
  # The figure: per head, its 13 rendered yaws (views and in-between views interleaved)
  # above the semantic and the direct path at the same 13 places.
  test, between = (data.load('synthetic_heads', s, str(heads_dir['directory']))
                   for s in ('test', 'test_between'))
  labels = [label for label, _ in drawn['rows']]
  assert labels[1:3] == ['semantic', 'direct'] and len(labels) == 3 * 2
  head = int(labels[0].split()[1].rstrip(':'))
  truth = drawn['rows'][0][1]
  assert all(len(images) == 13 for _, images in drawn['rows'])
  for m in range(13):
    source, label = (test, m // 2) if m % 2 == 0 else (between, m // 2)
    at = np.flatnonzero((source['identity'] == head) & (source['label'] == label))[0]
    np.testing.assert_allclose(truth[m], source['image'][at] / 255, atol=1e-6)
  rows = report.rows(report.collect(str(tmp_path / 'runs')))
  assert ('inbetween', 'synthetic_heads', 'atnl', 'oracle') in rows
  table = report.markdown(rows)
  assert all(column.title in table for column in inbetween_lib.COLUMNS)
