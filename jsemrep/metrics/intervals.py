"""Means and 95 % intervals over training seeds and evaluation paths (docs/evaluation.md).

Runs of one setting differ only in their training seed and are scored on the same
paths (the evaluation seed is fixed), so a per-path metric is a (seeds, paths)
matrix. Its interval is a two-level bootstrap: resample seeds with replacement,
then paths with replacement (the same path indices for every seed: the paths are
shared), and take the 2.5 / 97.5 percentiles of the statistic. A metric with one
number per run gets a Student-t interval over seeds.
"""

import math

import numpy as np

LEVEL = 0.95
RESAMPLES = 2000
T_975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
         9: 2.262, 10: 2.228}


def bootstrap(values, weights=None, groups=None, resamples=RESAMPLES, seed=0):
  """(mean, low, high) of a (seeds, paths) matrix of per-path values.

  The statistic is sum(values) / sum(weights) over the resampled paths, averaged
  over the resampled seeds; weights (paths,) default to 1 (a plain mean). For
  accuracy over images, values are correct images per path and weights the path
  lengths. NaN values (undefined for that path) count as 0, as ACAI's
  smoothness does. groups (paths,): paths that move together (the paths of one
  identity) are resampled together: the groups are drawn with replacement, each
  bringing all its paths.
  """
  return _resampled([values], [1.0], weights, groups, resamples, seed)


def paired_difference(values, reference, weights=None, groups=None, resamples=RESAMPLES,
                      seed=0):
  """(mean, low, high) of statistic(values) - statistic(reference) for two settings
  scored on the same paths: values (seeds, paths) and reference (seeds', paths).

  Each draw resamples each setting's seeds (they are different runs) and one set of
  paths (or groups of paths) for both, since the paths are shared: the path-to-path
  variation common to both cancels, which two separate intervals cannot show.
  """
  return _resampled([values, reference], [1.0, -1.0], weights, groups, resamples, seed)


def _resampled(matrices, signs, weights, groups, resamples, seed):
  """(mean, low, high) of sum(sign x statistic(matrix)): each matrix's seeds resampled
  on their own, one draw of the shared paths (or groups of paths) for all."""
  matrices = [np.nan_to_num(np.atleast_2d(np.asarray(m, np.float64))) for m in matrices]
  paths = matrices[0].shape[1]
  if any(m.shape[1] != paths for m in matrices):
    raise ValueError('paired rows need the same paths: '
                     + ' and '.join(str(m.shape[1]) for m in matrices) + ' paths')
  weights = np.ones(paths) if weights is None else np.asarray(weights, np.float64)
  # weights (paths,) are shared by every run; (seeds, paths) are each run's own (a ratio
  # whose denominator differs by run, e.g. the L1 gap each run's no-edit leaves).
  if weights.ndim == 2 and len(matrices) > 1:
    raise ValueError('per-run weights are for one setting, not a paired difference')
  group_of = (np.arange(paths) if groups is None
              else np.unique(np.asarray(groups), return_inverse=True)[1].reshape(-1))
  order = np.argsort(group_of, kind='stable')
  starts = np.searchsorted(group_of[order], np.arange(group_of.max() + 1))
  per_group = lambda x: np.add.reduceat(x[..., order], starts, axis=-1)   # sums per group
  rng = np.random.default_rng(seed)
  # A draw of the groups with replacement is a count per group: one set for every matrix.
  counts = rng.multinomial(len(starts), np.full(len(starts), 1 / len(starts)), resamples)
  denominators = counts @ per_group(weights).T    # (resamples,) or (resamples, seeds)
  draws = np.zeros(resamples)
  for sign, m in zip(signs, matrices):
    ratios = counts @ per_group(m).T              # (resamples, seeds): each seed's statistic
    ratios = ratios / (denominators if denominators.ndim == 2 else denominators[:, None])
    seeds = rng.integers(0, len(m), (resamples, len(m)))
    draws += sign * np.take_along_axis(ratios, seeds, axis=1).mean(axis=1)
  low, high = np.percentile(draws, [100 * (1 - LEVEL) / 2, 100 * (1 + LEVEL) / 2])
  statistic = lambda v, w: float(np.mean(v.sum(axis=1) / w.sum(axis=-1)))
  mean = sum(sign * statistic(m, weights) for sign, m in zip(signs, matrices))
  return mean, float(low), float(high)


def over_seeds(values):
  """(mean, low, high): Student-t 95 % interval of one number per seed (no interval,
  low = high = mean, for a single seed)."""
  values = np.asarray(values, np.float64)
  mean = float(values.mean())
  if len(values) < 2:
    return mean, mean, mean
  half = T_975.get(len(values) - 1, 1.96) * values.std(ddof=1) / math.sqrt(len(values))
  return mean, mean - half, mean + half


def separated_best(intervals, higher_is_better=True):
  """The key whose interval lies entirely beyond every other key's interval in the
  better direction, or None when the best is within noise of another.

  intervals: {key: (mean, low, high)}.
  """
  if len(intervals) < 2:
    return None
  sign = 1.0 if higher_is_better else -1.0
  best = max(intervals, key=lambda k: sign * intervals[k][0])
  _, low, high = intervals[best]
  others = [v for k, v in intervals.items() if k != best]
  if higher_is_better and all(low > o[2] for o in others):
    return best
  if not higher_is_better and all(high < o[1] for o in others):
    return best
  return None
