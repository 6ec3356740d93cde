import os

import jax
import jax.numpy as jnp
import numpy as np
from PIL import Image
import pytest

from jsemrep import data
from jsemrep.data import base
from jsemrep.data import mnist5k
from jsemrep.data import multi_pie
from jsemrep.data import line_geometry
from jsemrep.errors import DataError
from jsemrep.data.idx import IMAGES_MAGIC, LABELS_MAGIC, read_idx, write_idx
from tests.conftest import digit_like_images


def write_mnist_dir(directory, n_train=100, n_test=10):
  directory.mkdir(parents=True, exist_ok=True)
  for split, n in (('train', n_train), ('t10k', n_test)):
    labels = np.arange(n) % 10
    write_idx(directory / f'{split}-images-idx3-ubyte.gz', digit_like_images(labels))
    write_idx(directory / f'{split}-labels-idx1-ubyte.gz', labels)
  return directory


def test_idx_round_trip_and_wrong_magic(tmp_path):
  images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
  write_idx(tmp_path / 'x-idx3-ubyte', images)
  np.testing.assert_array_equal(read_idx(tmp_path / 'x-idx3-ubyte', IMAGES_MAGIC), images)
  with pytest.raises(ValueError, match=r'x-idx3-ubyte: not an IDX label file: magic number '
                                       r'2051, expected 2049'):
    read_idx(tmp_path / 'x-idx3-ubyte', LABELS_MAGIC)


@pytest.mark.parametrize('name', ['mnist', 'fashion_mnist'])
def test_idx_builders_from_a_manual_directory(tmp_path, name):
  manual = write_mnist_dir(tmp_path / 'manual')
  train = data.load(name, 'train', tmp_path / 'data', manual)
  validation = data.load(name, 'validation', tmp_path / 'data', manual)
  test = data.load(name, 'test', tmp_path / 'data', manual)
  assert train['image'].shape == (90, 32, 32, 1) and train['image'].dtype == np.uint8
  assert validation['image'].shape == (10, 32, 32, 1) and test['image'].shape == (10, 32, 32, 1)
  np.testing.assert_array_equal(np.bincount(validation['label']), [1] * 10)
  assert not _keys(train['image']) & _keys(validation['image'])


def test_idx_builder_with_wrong_magic_names_the_file_and_writes_nothing(tmp_path):
  manual = write_mnist_dir(tmp_path / 'manual')
  write_idx(manual / 'train-labels-idx1-ubyte.gz', np.zeros((100, 2), np.uint8))
  with pytest.raises(ValueError, match=r'train-labels-idx1-ubyte.gz: not an IDX label file'):
    data.load('mnist', 'train', tmp_path / 'data', manual)
  assert not (tmp_path / 'data' / 'mnist' / base.DATASET_VERSION).exists()
  assert not any('incomplete' in p for _, dirs, _ in os.walk(tmp_path / 'data') for p in dirs)


def test_missing_manual_directory_names_the_directory(tmp_path):
  missing = tmp_path / 'nowhere'
  with pytest.raises(FileNotFoundError, match='manual directory .*nowhere.* does not exist'):
    data.load('mnist', 'train', tmp_path / 'data', missing)
  with pytest.raises(FileNotFoundError, match='nowhere'):
    data.load('multi_pie', 'train', tmp_path / 'data', missing)
  assert not (tmp_path / 'data' / 'mnist' / base.DATASET_VERSION).exists()


def test_unknown_dataset():
  with pytest.raises(ValueError, match="unknown dataset 'cifar'"):
    data.load('cifar', 'train')


def _keys(images):
  return {im.tobytes() for im in images}


def test_mnist5k_splits_are_stratified_disjoint_and_deterministic(mnist5k_dir, data_dir, tmp_path):
  splits = {s: data.load('mnist5k', s, data_dir, mnist5k_dir) for s in ('train', 'validation', 'test')}
  # 20 digits per class: 4 to test, then round(10 % of 16) = 2 to validation.
  assert [len(splits[s]['label']) for s in ('train', 'validation', 'test')] == [140, 20, 40]
  np.testing.assert_array_equal(np.bincount(splits['train']['label']), [14] * 10)
  np.testing.assert_array_equal(np.bincount(splits['validation']['label']), [2] * 10)
  np.testing.assert_array_equal(np.bincount(splits['test']['label']), [4] * 10)
  keys = {s: _keys(v['image']) for s, v in splits.items()}
  assert not keys['train'] & keys['validation'] and not keys['validation'] & keys['test']
  assert not keys['train'] & keys['test']
  rebuilt = data.load('mnist5k', 'validation', tmp_path / 'again', mnist5k_dir)
  np.testing.assert_array_equal(rebuilt['image'], splits['validation']['image'])


def test_stratified_split_holds_out_a_rounded_share_of_each_class():
  labels = np.array([0] * 5 + [1] * 3 + [2] * 7)
  rest, held = base.stratified_split(labels, 0.4, seed=0)
  assert sorted(np.concatenate([rest, held])) == list(range(15))
  np.testing.assert_array_equal(np.bincount(labels[held]), [2, 1, 3])   # round(0.4 n) per class
  # The draw that made every dataset's splits: changing it would change them.
  np.testing.assert_array_equal(held, [2, 4, 7, 10, 12, 13])


def test_mnist5k_default_source_is_mlxtends_file():
  images, labels = mnist5k.read_mnist5k(mnist5k.mnist5k_source())
  assert images.shape == (5000, 28, 28)
  np.testing.assert_array_equal(np.bincount(labels), [500] * 10)


def test_rotated_mnist5k_labels_are_the_rotation_order(mnist5k_dir, tmp_path):
  train = data.load('rotated_mnist5k', 'train', tmp_path, mnist5k_dir)
  validation = data.load('rotated_mnist5k', 'validation', tmp_path, mnist5k_dir)
  assert train['image'].shape == (7 * 140, 32, 32, 1)
  np.testing.assert_array_equal(np.bincount(train['label']), [140] * 7)
  np.testing.assert_array_equal(np.bincount(validation['label']), [20] * 7)


def test_rotated_mnist5k_records_each_digits_identity_and_class(mnist5k_dir, tmp_path):
  splits = {s: data.load('rotated_mnist5k', s, tmp_path, mnist5k_dir)
            for s in ('train', 'validation', 'test')}
  images, labels = mnist5k.read_mnist5k(mnist5k_dir / 'mnist_5k.csv.gz')
  for split in splits.values():
    identities, counts = np.unique(split['identity'], return_counts=True)
    assert np.all(counts == 7)          # every source digit at all 7 angles
    for u in identities[:5]:
      at = np.flatnonzero(split['identity'] == u)
      assert sorted(split['label'][at]) == list(range(7))
      assert np.all(split['digit'][at] == labels[u])
      upright = at[split['label'][at] == 3]   # rotation 0 degrees: resampled like the others
      np.testing.assert_array_equal(split['image'][upright[0], ..., 0],
                                    mnist5k.rotate_alike(images[u:u + 1], [0])[0, 0])
  ids = [set(s['identity'].tolist()) for s in splits.values()]
  assert not ids[0] & ids[1] and not ids[0] & ids[2] and not ids[1] & ids[2]


def test_rotated_mnist5k_angles_are_equally_sharp():
  """No angle may be told by its sharpness (version 1.2.0 kept 0 degrees an untouched
  copy: mean gradient 25.5 against 24.4 for every other angle on these digits)."""
  images, _ = mnist5k.read_mnist5k(mnist5k.mnist5k_source())
  rotated = mnist5k.rotate_alike(images[:100], mnist5k.ROTATIONS).astype(np.float32)
  gy, gx = np.gradient(rotated, axis=(-2, -1))
  sharpness = np.hypot(gx, gy).mean(axis=(1, 2, 3))
  np.testing.assert_allclose(sharpness, sharpness.mean(), rtol=0.01)


def test_lines_render_and_label():
  image = line_geometry.render_line(0.0)
  assert image[16, 16 + 10] > 200 and image[16 + 10, 16] == 0   # pointing right, nothing below
  assert line_geometry.render_line(np.pi / 2)[16 - 10, 16] > 200      # pointing up
  assert int(image.sum()) == pytest.approx(255 * 15 * 2, rel=0.2)     # a 15-px line 2 px wide
  assert [line_geometry.line_label(t) for t in (0.0, 0.7, np.pi, 2 * np.pi - 1e-6)] == [0, 1, 5, 9]


def test_multi_pie_from_viewpoint_folders(tmp_path):
  manual = tmp_path / 'pie'
  rng = np.random.default_rng(0)
  for view in ('30', '-30', '0', '-15'):
    (manual / view).mkdir(parents=True)
    for i in range(5):
      Image.fromarray(rng.integers(0, 255, (20, 24, 3), dtype=np.uint8)).save(manual / view / f'{i}.png')
  for view in ('30', '-30', '0', '-15'):
    for i in range(5, 15):
      Image.fromarray(rng.integers(0, 255, (20, 24, 3), dtype=np.uint8)).save(manual / view / f'{i}.png')
  train = data.load('multi_pie', 'train', tmp_path / 'data', manual)
  validation = data.load('multi_pie', 'validation', tmp_path / 'data', manual)
  test = data.load('multi_pie', 'test', tmp_path / 'data', manual)
  # 15 images per viewpoint: 3 to test, the 10th of the other 12 to validation.
  assert train['image'].shape == (44, 64, 64, 3) and test['image'].shape == (12, 64, 64, 3)
  np.testing.assert_array_equal(np.bincount(validation['label']), [1] * 4)
  assert [p.name for p in multi_pie.viewpoint_folders(manual)] == ['-30', '-15', '0', '30']
  assert np.all(train['identity'] == multi_pie.NO_IDENTITY)


def write_multi_pie_named(manual, subjects, cameras=('041', '050', '051')):
  """Multi-PIE's naming, one folder per viewpoint: SUBJECT_SESSION_REC_CAMERA_FLASH."""
  rng = np.random.default_rng(0)
  for view, camera in zip(('-15', '0', '15'), cameras):
    (manual / view).mkdir(parents=True, exist_ok=True)
    for subject in subjects:
      name = f'{subject:03d}_01_01_{camera}_07.png'
      Image.fromarray(rng.integers(0, 255, (20, 24, 3), dtype=np.uint8)).save(manual / view / name)


def test_multi_pie_identity_is_the_subject_of_multi_pie_file_names(tmp_path):
  manual = tmp_path / 'pie'
  subjects = list(range(1, 14))
  write_multi_pie_named(manual, subjects)
  splits = {s: data.load('multi_pie', s, tmp_path / 'data', manual)
            for s in ('train', 'validation', 'test')}
  # 13 subjects in id order: the 5th and 10th to test, the 10th of the other 11 to validation.
  assert sorted(set(splits['test']['identity'].tolist())) == [5, 10]
  assert sorted(set(splits['validation']['identity'].tolist())) == [12]
  assert len(set(splits['train']['identity'].tolist())) == 10
  for split in splits.values():     # every subject at every viewpoint, in its one split
    for u in set(split['identity'].tolist()):
      assert sorted(split['label'][split['identity'] == u]) == [0, 1, 2]
  assert multi_pie.subject_id('001_01_01_051_07.png') == 1
  assert multi_pie.subject_id('face.png') == multi_pie.NO_IDENTITY


def test_multi_pie_with_some_files_misnamed_names_the_file(tmp_path):
  manual = tmp_path / 'pie'
  write_multi_pie_named(manual, range(1, 14))
  Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(manual / '0' / 'extra.png')
  with pytest.raises(DataError, match=r'extra.png is not named as Multi-PIE names its images'):
    data.load('multi_pie', 'train', tmp_path / 'data', manual)


def test_batch_indices_are_a_fresh_permutation_per_epoch():
  n, b = 10, 3
  epoch0 = np.concatenate([data.batch_indices(0, s, n, b) for s in range(3)])
  epoch1 = np.concatenate([data.batch_indices(0, s, n, b) for s in range(3, 6)])
  assert len(set(epoch0.tolist())) == 9 and len(set(epoch1.tolist())) == 9
  assert not np.array_equal(epoch0, epoch1)
  np.testing.assert_array_equal(data.batch_indices(0, 4, n, b), data.batch_indices(0, jnp.int32(4), n, b))
  assert not np.array_equal(data.batch_indices(1, 0, n, b), data.batch_indices(0, 0, n, b))


@pytest.mark.parametrize('n', [1, 2, 7, 16, 17, 1000])
def test_shuffled_positions_is_a_permutation(n):
  for seed in range(3):
    perm = np.asarray(data.shuffled_positions(jax.random.PRNGKey(seed), jnp.arange(n), n))
    assert sorted(perm.tolist()) == list(range(n))


def test_shuffled_positions_spreads_each_position_uniformly():
  """Where position 0 lands over 2,000 keys: every one of 10 places about equally often."""
  keys = jax.random.split(jax.random.PRNGKey(0), 2000)
  first = jax.vmap(lambda k: data.shuffled_positions(k, jnp.arange(1), 10)[0])(keys)
  counts = np.bincount(np.asarray(first), minlength=10)
  assert counts.min() > 140 and counts.max() < 260, counts
