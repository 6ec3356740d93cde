"""`generation`: FID, precision and recall (k = 3) of prior samples and of interpolants
(midpoints of semantic slerp paths between random pairs of the split) against real
images of the split, in the evaluation classifier's feature space."""

import jax
import jax.numpy as jnp
import numpy as np

from jsemrep import split as split_lib
from jsemrep.evaluators.base import Column, Evaluator, Result
from jsemrep.metrics import generation


def evaluate(run, split, seed, figure_dir, *, samples):
  del figure_dir
  classify, info = run.classifier()
  features = lambda images: classify(images)[1]
  scored = run.split(split)
  rng = np.random.default_rng(seed)
  real = features(scored['image'][rng.permutation(len(scored['image']))[:samples]])
  prior = jax.random.normal(jax.random.PRNGKey(seed), (samples, run.spec.model.latent_dim))
  z = run.codes(split)
  a, b = rng.integers(0, len(z), samples), rng.integers(0, len(z), samples)
  mixes = split_lib.semantic_paths(
      jnp.asarray(z[a]), jnp.asarray(z[b]), jnp.asarray(scored['label'][a]),
      jnp.asarray(scored['label'][b]), run.prototypes(), jnp.array([0.5]), 'slerp',
      run.circular, run.semantic_dims)[:, 0]
  scores = {}
  for kind, codes in (('prior', prior), ('interpolants', mixes)):
    fake = features(run.decode(np.asarray(codes)))
    precision, recall = generation.precision_recall(real, fake, k=3)
    scores[kind] = {'fid': generation.fid(real, fake), 'precision': precision, 'recall': recall}
  return Result(scores, None, {'classifier_test_accuracy': info['test_accuracy'],
                               'samples': samples})


EVALUATORS = (Evaluator('generation', (
    Column('prior.fid', 'FID prior (classifier features)', higher=False),
    Column('interpolants.fid', 'FID interp. (classifier features)', higher=False),
    Column('prior.precision', 'precision prior (classifier features)'),
    Column('prior.recall', 'recall prior (classifier features)'),
), evaluate, options={'samples': (1000, 'Generated images per kind.')}),)
