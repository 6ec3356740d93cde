import jax.numpy as jnp
import numpy as np
import pytest

from eval import interpolate
from jsemrep.metrics import interpolation


def test_expected_labels_round_along_the_path():
  ts = jnp.linspace(0, 1, 7)
  np.testing.assert_array_equal(interpolation.expected_labels(2, 5, ts), [2, 2, 3, 4, 4, 4, 5])
  np.testing.assert_array_equal(interpolation.expected_labels(3, 0, jnp.linspace(0, 1, 4)),
                                [3, 2, 1, 0])


@pytest.mark.parametrize('predicted,start,end,monotone', [
    ([2, 3, 3, 5], 2, 5, True),
    ([2, 4, 3, 5], 2, 5, False),   # steps back
    ([3, 3, 4, 5], 2, 5, False),   # does not start at the start class
    ([5, 4, 4, 2], 5, 2, True),
    ([5, 4, 4, 3], 5, 2, False),   # does not reach the end class
])
def test_path_monotone(predicted, start, end, monotone):
  assert bool(interpolation.path_monotone(jnp.array(predicted), start, end)) == monotone


def test_ordinal_scores_hand_computed():
  ts = jnp.linspace(0, 1, 3)
  predicted = jnp.array([[0, 1, 2], [0, 0, 2]])
  accuracy, monotone = interpolation.ordinal_scores(predicted, jnp.array([0, 0]),
                                                    jnp.array([2, 2]), ts)
  assert accuracy == pytest.approx(5 / 6) and monotone == pytest.approx(1.0)


def test_ordinal_accuracy_on_a_synthetic_decoder_with_known_classes():
  """Codes on a circle, class c at 15c degrees; the 'decoder' is the identity and
  the 'classifier' reads the class off the angle. Slerp paths (direct or through
  the prototypes) then cross the classes exactly in order; lerp paths cut the chord,
  so their angle is not linear in t and some images are labelled early or late."""
  k, step = 10, np.radians(15)
  angles = np.repeat(np.arange(k) * step, 3) + np.tile([-0.03, 0.0, 0.03], k)
  labels = np.repeat(np.arange(k), 3)
  z = np.stack([np.cos(angles), np.sin(angles)], -1).astype(np.float32)
  prototypes = jnp.stack([jnp.cos(jnp.arange(k) * step), jnp.sin(jnp.arange(k) * step)], -1)
  classify = lambda codes: np.clip(np.round(np.arctan2(codes[:, 1], codes[:, 0]) / step), 0, k - 1)
  centred = np.stack([np.cos(np.arange(k) * step), np.sin(np.arange(k) * step)], -1)
  scores = interpolate.ordinal_accuracy(centred.repeat(3, 0).astype(np.float32), labels,
                                        prototypes, lambda c: c, classify, 3, 2, 0)
  assert scores['slerp_semantic']['accuracy'] == pytest.approx(1.0)
  assert scores['slerp_direct']['accuracy'] == pytest.approx(1.0)
  assert scores['slerp_semantic']['monotone'] == pytest.approx(1.0)
  assert scores['lerp_direct']['accuracy'] < 1.0
  assert scores['lerp_direct']['monotone'] == pytest.approx(1.0)
  noisy = interpolate.ordinal_accuracy(z, labels, prototypes, lambda c: c, classify, 3, 2, 0)
  assert noisy['slerp_semantic']['accuracy'] > 0.9


from jsemrep.metrics import generation  # pylint: disable=wrong-import-position
from jsemrep.metrics import lines  # pylint: disable=wrong-import-position
from jsemrep.metrics import representation  # pylint: disable=wrong-import-position
from jsemrep.data import builders  # pylint: disable=wrong-import-position


def test_hungarian_clustering_accuracy():
  labels = np.array([0, 0, 1, 1, 2, 2])
  assert representation.clustering_accuracy(np.array([2, 2, 0, 0, 1, 1]), labels) == 1.0
  assert representation.clustering_accuracy(np.array([1, 1, 1, 0, 2, 0]), labels) == pytest.approx(4 / 6)


def test_retrieval_map_hand_computed():
  codes = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
  assert representation.retrieval_map(codes, np.array([0, 0, 1, 1])) == pytest.approx(1.0)
  # Queries 0 and 2 find their one same-class item 2nd (AP 1/2), queries 1 and 3 3rd (1/3).
  assert representation.retrieval_map(codes, np.array([0, 1, 1, 0])) == pytest.approx(5 / 12)
  assert representation.retrieval_map(codes, np.array([0, 1, 1, 0]), k=1) == 0.0


def test_frechet_distance_of_known_gaussians():
  mu1, mu2 = np.zeros(2), np.array([3.0, 4.0])
  s1, s2 = np.eye(2), 4 * np.eye(2)
  # |mu|^2 + tr(I + 4I - 2*2I) = 25 + 2
  assert generation.frechet_distance(mu1, s1, mu2, s2) == pytest.approx(27.0)
  x = np.random.default_rng(0).normal(size=(2000, 3))
  assert generation.fid(x, x) == pytest.approx(0.0, abs=1e-6)


def test_precision_recall_on_point_sets_with_known_overlap():
  grid = np.stack(np.meshgrid(np.arange(10.0), np.arange(10.0)), -1).reshape(-1, 2)
  far = grid + 100.0
  assert generation.precision_recall(grid, grid, k=3) == (1.0, 1.0)
  half = np.concatenate([grid[:50], far[:50]])
  precision, recall = generation.precision_recall(grid, half, k=3)
  assert precision == pytest.approx(0.5)
  assert 0.4 <= recall < 1.0


def test_lines_metrics_perfect_vs_shuffled():
  reference = lines.reference_lines(720)
  thetas = np.linspace(0.2, 1.4, 8)
  perfect = np.stack([builders.render_line(t) / 255.0 for t in thetas])[None, ..., None]
  shuffled = perfect[:, np.random.default_rng(0).permutation(8)]
  good = lines.lines_scores(perfect, reference)
  bad = lines.lines_scores(shuffled, reference)
  assert good['mean_distance'] < 0.01 and good['smoothness'] < 0.01
  assert bad['smoothness'] > 0.1
  assert lines.smoothness([0.0, 0.1, 0.2, 0.3]) == pytest.approx(0.0, abs=1e-12)
  assert lines.smoothness([0.0, 0.0, 0.0, 0.3]) == pytest.approx(1 - 1 / 3)
  assert lines.smoothness([0.5, 0.5, 0.5, 0.5]) == pytest.approx(1 - 1 / 3)
