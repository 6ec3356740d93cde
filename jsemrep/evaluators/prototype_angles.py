"""`prototype_angles`: the angles between the class prototypes of the split's codes
(unit mean code direction per class). A collapsing order shrinks the angles between
consecutive classes; an order that spreads the classes along a great circle makes the
first-to-last angle large. For circular labels the last class neighbours the first."""

import numpy as np

from jsemrep import sphere
from jsemrep.evaluators.base import Column, Evaluator, Result


def adjacent_angles_deg(prototypes, circular):
  """Angles (degrees) between consecutive class prototypes (the last and the first too
  for circular classes)."""
  prototypes = np.asarray(prototypes)
  k = len(prototypes)
  following = np.roll(prototypes, -1, axis=0)[:k if circular else k - 1]
  return np.degrees(np.asarray(sphere.angle(prototypes[:len(following)], following)))


def evaluate(run, split, seed, figure_dir):
  del seed, figure_dir
  prototypes = np.asarray(run.prototypes(split))
  adjacent = adjacent_angles_deg(prototypes, run.circular)
  return Result({'adjacent_mean_deg': float(adjacent.mean()),
                 'adjacent_min_deg': float(adjacent.min()),
                 'first_to_last_deg': float(np.degrees(sphere.angle(prototypes[0],
                                                                    prototypes[-1])))},
                None, {'adjacent_deg': adjacent.tolist()})


EVALUATORS = (Evaluator('prototype_angles', (
    Column('adjacent_mean_deg', 'adjacent prototype angle (deg)'),
    Column('adjacent_min_deg', 'smallest adjacent prototype angle (deg)'),
    Column('first_to_last_deg', 'first-to-last prototype angle (deg)'),
), evaluate),)
