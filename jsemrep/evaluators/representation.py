"""`representation`: linear-probe accuracy, retrieval mAP and k-means clustering
accuracy (Hungarian matching) of the split's latents (the probe fitted on train), and
with a figure directory tsne.png, a t-SNE of the split's latents coloured by class."""

import os

import numpy as np

from jsemrep import plots
from jsemrep import sphere
from jsemrep.evaluators.base import Column, Evaluator, Result
from jsemrep.metrics import representation


def scores(z_train, y_train, z_test, y_test, num_classes, seed=0):
  from sklearn.cluster import KMeans  # pylint: disable=import-outside-toplevel (scikit-learn costs a program ~3 s at import)
  from sklearn.linear_model import LogisticRegression  # pylint: disable=import-outside-toplevel
  unit = lambda z: np.asarray(sphere.normalize(z))
  probe = LogisticRegression(max_iter=2000).fit(unit(z_train), y_train)
  clusters = KMeans(num_classes, n_init=10, random_state=seed).fit_predict(unit(z_test))
  return {'linear_probe_accuracy': float(probe.score(unit(z_test), y_test)),
          'retrieval_map': representation.retrieval_map(z_test, y_test),
          'kmeans_accuracy': representation.clustering_accuracy(clusters, y_test)}


def evaluate(run, split, seed, figure_dir):
  labels = run.split(split)['label']
  result = scores(run.codes('train'), run.split('train')['label'], run.codes(split), labels,
                  run.num_classes, seed)
  info = {}
  if figure_dir:
    info['figure'] = os.path.join(figure_dir, 'tsne.png')
    from sklearn.manifold import TSNE  # pylint: disable=import-outside-toplevel
    embedding = TSNE(2, random_state=seed, init='pca').fit_transform(run.codes(split))
    plots.scatter_by_class(embedding, labels, info['figure'],
                           f't-SNE of {split} latents: {run.spec.method} on '
                           f'{run.spec.data.name}')
  return Result(result, None, info)


EVALUATORS = (Evaluator('representation', (
    Column('linear_probe_accuracy', 'linear probe'),
    Column('retrieval_map', 'retrieval mAP'),
    Column('kmeans_accuracy', 'k-means acc.'),
), evaluate),)
