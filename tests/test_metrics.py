import jax.numpy as jnp
import numpy as np
import pytest

from jsemrep.metrics import image_quality
from jsemrep.metrics import interpolation
from jsemrep.metrics import intervals


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


@pytest.mark.parametrize('predicted,start,end,visits', [
    ([0, 0, 0, 9, 9, 9], 0, 9, False),   # monotone, but skips 1..8
    ([2, 3, 3, 4, 5], 2, 5, True),
    ([2, 2, 3, 4, 4, 5, 5], 2, 5, True),
    ([2, 3, 5], 2, 5, False),           # skips 4
    ([2, 3, 2, 3, 4, 5], 2, 5, False),  # steps back
    ([5, 4, 3, 2], 5, 2, True),
    ([5, 4, 3, 3], 5, 2, False),        # never reaches 2
    ([1, 2, 3, 4], 2, 4, False),        # starts elsewhere
])
def test_path_visits(predicted, start, end, visits):
  assert bool(interpolation.path_visits(jnp.array(predicted), start, end)) == visits


def test_circular_paths_go_the_short_way_round():
  # 10 angle bins: from 8 to 1 the path visits 8, 9, 0, 1.
  ts = jnp.linspace(0, 1, 4)
  np.testing.assert_array_equal(interpolation.expected_labels(8, 1, ts, True, 10), [8, 9, 0, 1])
  assert bool(interpolation.path_visits(jnp.array([8, 9, 9, 0, 1]), 8, 1, True, 10))
  assert not bool(interpolation.path_visits(jnp.array([8, 9, 9, 0, 1]), 8, 1))
  assert bool(interpolation.path_monotone(jnp.array([1, 0, 0, 9]), 1, 9, True, 10))


def test_path_scores_hand_computed():
  ts = jnp.linspace(0, 1, 3)
  predicted = jnp.array([[0, 1, 2], [0, 0, 2]])
  scores = interpolation.path_scores(predicted, jnp.array([0, 0]), jnp.array([2, 2]), ts)
  np.testing.assert_array_equal(scores['correct'], [3, 2])
  np.testing.assert_array_equal(scores['monotone'], [True, True])
  np.testing.assert_array_equal(scores['visits'], [True, False])


def test_ordinal_accuracy_on_a_synthetic_decoder_with_known_classes():
  """Codes on a circle, class c at 25c degrees; the 'decoder' is the identity and
  the 'classifier' reads the class off the angle. Slerp paths (direct or through
  the prototypes) then cross the classes exactly in order; lerp paths cut the chord,
  so their angle is not linear in t and some images are labelled early or late."""
  k, step = 6, np.radians(25)
  angles = np.repeat(np.arange(k) * step, 3) + np.tile([-0.03, 0.0, 0.03], k)
  labels = np.repeat(np.arange(k), 3)
  z = np.stack([np.cos(angles), np.sin(angles)], -1).astype(np.float32)
  prototypes = jnp.stack([jnp.cos(jnp.arange(k) * step), jnp.sin(jnp.arange(k) * step)], -1)
  classify = lambda codes: np.clip(np.round(np.arctan2(codes[:, 1], codes[:, 0]) / step), 0, k - 1)
  centred = np.stack([np.cos(np.arange(k) * step), np.sin(np.arange(k) * step)], -1)
  scores, raw = interpolation.ordinal_study(centred.repeat(3, 0).astype(np.float32), labels,
                                            prototypes, lambda c: c, classify, 3, 2, 0)
  assert scores['slerp_semantic']['accuracy'] == pytest.approx(1.0)
  assert scores['slerp_direct']['accuracy'] == pytest.approx(1.0)
  assert scores['slerp_semantic']['monotone'] == pytest.approx(1.0)
  assert scores['lerp_direct']['accuracy'] < 1.0
  assert scores['lerp_direct']['monotone'] == pytest.approx(1.0)
  assert scores['slerp_semantic']['visits'] == pytest.approx(1.0)
  assert scores['slerp_semantic']['paths'] == 30 * 2 == len(raw['start_index'])
  noisy, raw_noisy = interpolation.ordinal_study(z, labels, prototypes, lambda c: c, classify,
                                                 3, 2, 0)
  assert noisy['slerp_semantic']['accuracy'] > 0.9
  # The pairs depend on the evaluation seed alone: runs with other codes score the same
  # paths, another seed draws others.
  assert raw_noisy['start_index'] == raw['start_index']
  _, raw_other = interpolation.ordinal_study(z, labels, prototypes, lambda c: c, classify, 3, 2, 1)
  assert raw_other['start_index'] != raw['start_index']
  # A second reader that reads alike agrees on every image and scores alike; one that
  # always reads class 0 agrees on exactly the images the first reads as 0.
  same, _ = interpolation.ordinal_study(z, labels, prototypes, lambda c: c, classify, 3, 2, 0,
                                        second=classify)
  assert same['slerp_semantic']['agreement'] == 1.0
  assert same['slerp_semantic']['second']['accuracy'] == noisy['slerp_semantic']['accuracy']
  zero, raw_zero = interpolation.ordinal_study(z, labels, prototypes, lambda c: c, classify, 3, 2,
                                               0, second=lambda c: np.zeros(len(c)))
  first = raw_zero['kinds']['slerp_direct']['predicted']
  assert zero['slerp_direct']['agreement'] == pytest.approx(
      sum(p.count(0) for p in first) / sum(len(p) for p in first))
  assert zero['slerp_direct']['second']['visits'] == 0.0


from jsemrep.metrics import generation  # pylint: disable=wrong-import-position
from jsemrep.metrics import lines  # pylint: disable=wrong-import-position
from jsemrep.metrics import representation  # pylint: disable=wrong-import-position
from jsemrep.data import line_geometry  # pylint: disable=wrong-import-position


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
  perfect = np.stack([line_geometry.render_line(t) / 255.0 for t in thetas])[None, ..., None]
  shuffled = perfect[:, np.random.default_rng(0).permutation(8)]
  good, raw = lines.lines_scores(perfect, reference)
  bad, _ = lines.lines_scores(shuffled, reference)
  assert good['mean_distance'] < 0.01 and good['smoothness'] < 0.02
  assert bad['smoothness'] > 0.1
  assert len(raw['smoothness']) == 1 and len(raw['distance']) == 1


def test_lines_smoothness_as_acai_computes_it():
  # Evenly spaced: 0. One jump of 0.2 out of 0.3 over 3 steps: 2/3 - 1/3.
  assert lines.smoothness([0.0, 0.1, 0.2, 0.3]) == pytest.approx(0.0, abs=1e-12)
  assert lines.smoothness([0.0, 0.0, 0.1, 0.3]) == pytest.approx(2 / 3 - 1 / 3)
  # Unwrapped across 2pi: 6.2 -> 0.1 is a step of 0.183, not 6.1.
  assert lines.smoothness([6.1, 6.2, 0.1 + 1e-9, 0.2]) == pytest.approx(
      (0.1 + 2 * np.pi - 6.2) / (0.2 + 2 * np.pi - 6.1) - 1 / 3)
  # A path that does not move has no score, and counts as 0 in the mean over paths.
  assert np.isnan(lines.smoothness([0.5, 0.5, 0.5, 0.5]))
  assert lines.mean_smoothness([0.4, float('nan')]) == pytest.approx(0.2)
  assert np.isnan(lines.mean_smoothness([float('nan')]))


def test_lines_distance_uses_acais_signed_range():
  """A blank image is -1 everywhere in ACAI's range: its cosine distance to a line
  image (-1 background, +1 on the line) is 1 - (n - 2m) / n for m line pixels of n."""
  thetas, refs = lines.reference_lines(4)
  blank = np.zeros((1, 1, 32, 32, 1))
  scores, _ = lines.lines_scores(blank, (thetas, refs))
  n = refs.shape[1]
  cos = -refs.sum(1) / (np.sqrt(n) * np.linalg.norm(refs, axis=1))   # <-1, r> / (|-1| |r|)
  assert scores['mean_distance'] == pytest.approx(1 - cos.max())
  assert scores['mean_distance'] < 0.2   # in [0, 1] the blank image would be at distance 1


def test_bootstrap_and_t_intervals():
  values = np.array([[1, 0, 1, 1], [1, 1, 0, 1], [1, 1, 1, 0]], float)
  mean, low, high = intervals.bootstrap(values)
  assert mean == pytest.approx(0.75) and low < 0.75 < high and 0 <= low and high <= 1
  # Weighted: correct images over images, per seed, then averaged.
  mean, _, _ = intervals.bootstrap([[2, 3]], weights=[4, 4])
  assert mean == pytest.approx(5 / 8)
  assert intervals.bootstrap([[1, 1, 1]])[1:] == (1.0, 1.0)
  mean, low, high = intervals.over_seeds([1.0, 2.0, 3.0])
  assert (mean, high - mean) == (2.0, pytest.approx(4.303 * 1.0 / np.sqrt(3)))
  assert intervals.over_seeds([5.0]) == (5.0, 5.0, 5.0)


def test_best_is_marked_only_where_intervals_separate():
  assert intervals.separated_best({'a': (0.9, 0.85, 0.95), 'b': (0.7, 0.65, 0.8)}) == 'a'
  assert intervals.separated_best({'a': (0.9, 0.8, 0.95), 'b': (0.85, 0.8, 0.9)}) is None
  assert intervals.separated_best({'a': (0.1, 0.05, 0.15), 'b': (0.5, 0.4, 0.6)},
                                  higher_is_better=False) == 'a'
  assert intervals.separated_best({'a': (0.9, 0.8, 1.0)}) is None


def _ssim_by_loops(x, y, window):
  """SSIM written out window by window with numpy: the reference for image_quality.ssim."""
  h, w = window.shape
  values = []
  for i in range(x.shape[0] - h + 1):
    for j in range(x.shape[1] - w + 1):
      a, b = x[i:i + h, j:j + w], y[i:i + h, j:j + w]
      ma, mb = np.sum(window * a), np.sum(window * b)
      va, vb = np.sum(window * a * a) - ma ** 2, np.sum(window * b * b) - mb ** 2
      cov = np.sum(window * a * b) - ma * mb
      values.append((2 * ma * mb + 1e-4) * (2 * cov + 9e-4) /
                    ((ma ** 2 + mb ** 2 + 1e-4) * (va + vb + 9e-4)))
  return np.mean(values)


def test_ssim_matches_a_window_by_window_reference_and_is_one_for_equal_images():
  rng = np.random.default_rng(0)
  x = rng.uniform(size=(14, 13, 1)).astype(np.float32)
  y = np.clip(x + rng.normal(0, 0.2, x.shape), 0, 1).astype(np.float32)
  g = np.exp(-(np.arange(11) - 5.0) ** 2 / (2 * 1.5 ** 2))
  window = np.outer(g, g) / np.sum(g) ** 2     # Wang et al.'s 11x11 Gaussian, sigma 1.5
  np.testing.assert_allclose(image_quality.ssim(x, y), _ssim_by_loops(x[..., 0], y[..., 0], window),
                             rtol=1e-4)
  # Channels are filtered apart and averaged (two equal channels: SSIM 1 each).
  x3, y3 = np.concatenate([x, y, x], axis=2), np.concatenate([y, y, x], axis=2)
  np.testing.assert_allclose(image_quality.ssim(x3, y3),
                             (_ssim_by_loops(x[..., 0], y[..., 0], window) + 2) / 3, rtol=1e-4)
  np.testing.assert_allclose(image_quality.ssim(x, x), 1.0, rtol=1e-5)
  np.testing.assert_allclose(image_quality.ssim(x, y), image_quality.ssim(y, x), rtol=1e-6)
  l1, s = image_quality.l1_and_ssim(np.stack([x, x]), np.stack([x, y]))
  np.testing.assert_allclose(l1, [0.0, np.mean(np.abs(x - y))], atol=1e-6)
  assert s[0] > 0.9999 and s[1] < 0.9
  # In chunks (the last one padded) as in one call.
  xs, ys = np.stack([x, x, y]), np.stack([x, y, x])
  for got, want in zip(image_quality.l1_and_ssim(xs, ys, chunk=2), image_quality.l1_and_ssim(xs, ys)):
    np.testing.assert_allclose(got, want, rtol=1e-6)
    assert got.shape == (3,)


def test_bootstrap_over_groups_moves_a_groups_paths_together():
  """Two identities whose paths all agree within the identity: resampled by identity,
  the statistic only takes the means of 0, 1 or 2 copies of one identity (0, 0.5, 1);
  resampled by path, it takes many values in between."""
  values = np.array([[0.0] * 10 + [1.0] * 10])
  groups = [7] * 10 + [9] * 10
  mean, low, high = intervals.bootstrap(values, groups=groups, resamples=400)
  assert mean == 0.5 and low == 0.0 and high == 1.0
  _, low, high = intervals.bootstrap(values, resamples=400)
  assert 0.2 < low < 0.5 < high < 0.8


def _paired_bootstrap_by_loops(a, b, weights, groups, resamples, seed=1):
  """The two-level bootstrap of a - b written out draw by draw: the reference for the
  vectorised one (which draws a count per group instead of the groups themselves)."""
  rng = np.random.default_rng(seed)
  ids = sorted(set(groups))
  members = [np.flatnonzero(np.asarray(groups) == g) for g in ids]
  draws = []
  for _ in range(resamples):
    p = np.concatenate([members[g] for g in rng.integers(0, len(ids), len(ids))])
    stat = [np.mean([m[s][p].sum() / weights[p].sum() for s in rng.integers(0, len(m), len(m))])
            for m in (a, b)]
    draws.append(stat[0] - stat[1])
  return np.percentile(draws, [2.5, 97.5])


def test_the_vectorised_bootstrap_draws_as_the_loop_over_draws_does():
  rng = np.random.default_rng(0)
  groups = np.repeat(np.arange(30), 4)
  weights = rng.integers(1, 5, 120).astype(float)
  a = rng.binomial(weights.astype(int), 0.6, (3, 120)) + rng.integers(0, 2, (3, 1))
  b = rng.binomial(weights.astype(int), 0.5, (4, 120))
  mean, low, high = intervals.paired_difference(a, b, weights, groups, resamples=4000)
  ref_low, ref_high = _paired_bootstrap_by_loops(a, b, weights, groups, 4000)
  assert mean == pytest.approx(np.mean(a.sum(1)) / weights.sum() - np.mean(b.sum(1)) / weights.sum())
  assert low == pytest.approx(ref_low, abs=0.01) and high == pytest.approx(ref_high, abs=0.01)


def test_a_paired_difference_cancels_the_variation_the_paths_share():
  """Two settings on the same 200 paths whose per-path values differ wildly from path
  to path but by exactly 0.05 on every path: their separate intervals overlap, the
  paired difference is 0.05 with a narrow interval; swapped, -0.05; against itself, 0."""
  rng = np.random.default_rng(0)
  shared = rng.uniform(0, 1, 200)
  a, b = np.stack([shared + 0.05] * 3), np.stack([shared] * 3)
  _, a_low, _ = intervals.bootstrap(a)
  _, _, b_high = intervals.bootstrap(b)
  assert a_low < b_high                                  # separate intervals: within noise
  mean, low, high = intervals.paired_difference(a, b)
  assert mean == pytest.approx(0.05) and 0.049 < low <= high < 0.051
  assert intervals.paired_difference(b, a)[0] == pytest.approx(-0.05)
  assert intervals.paired_difference(b, b) == (0.0, 0.0, 0.0)
  with pytest.raises(ValueError, match='paired rows need the same paths: 200 and 3 paths'):
    intervals.paired_difference(a, b[:, :3])


def test_bootstrap_with_each_runs_own_weights_averages_each_runs_ratio():
  """A ratio whose denominator differs by run (the L1 gap each run's no-edit leaves):
  each run's ratio of sums is its own, 1 for the oracle of every run."""
  values = np.array([[0.2, 0.4], [0.1, 0.1]])
  assert intervals.bootstrap(values, weights=values, resamples=50)[0] == 1.0
  mean, _, _ = intervals.bootstrap(values, weights=np.array([[0.6, 0.6], [0.4, 0.4]]),
                                   resamples=50)
  assert mean == pytest.approx((0.6 / 1.2 + 0.2 / 0.8) / 2)
