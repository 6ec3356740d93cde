"""python -m eval.representation --workdir=DIR: linear-probe accuracy, retrieval mAP
and k-means clustering accuracy (Hungarian matching) of test latents, and a t-SNE
figure of the test latents coloured by class."""

from jsemrep import runtime

if __name__ == '__main__':
  runtime.prepare_process()   # before JAX is imported

# pylint: disable=wrong-import-position

import os

from absl import flags
import numpy as np
from sklearn.cluster import KMeans
from sklearn.linear_model import LogisticRegression
from sklearn.manifold import TSNE

from eval import common
from jsemrep import data
from jsemrep import inference
from jsemrep import plots
from jsemrep.metrics import representation

FLAGS = flags.FLAGS


def scores(z_train, y_train, z_test, y_test, num_classes, seed=0):
  unit = lambda z: z / np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12)
  probe = LogisticRegression(max_iter=2000).fit(unit(z_train), y_train)
  clusters = KMeans(num_classes, n_init=10, random_state=seed).fit_predict(unit(z_test))
  return {'linear_probe_accuracy': float(probe.score(unit(z_test), y_test)),
          'retrieval_map': representation.retrieval_map(z_test, y_test),
          'kmeans_accuracy': representation.clustering_accuracy(clusters, y_test)}


def main(argv):
  del argv
  config, model, params, step = common.restore(FLAGS.workdir, FLAGS.step)
  train, test = data.load_split(config, 'train'), data.load_split(config, 'test')
  z_train = inference.encode(model, params, train['image'])
  z_test = inference.encode(model, params, test['image'])
  result = scores(z_train, train['label'], z_test, test['label'], config.data.num_classes)
  embedding = TSNE(2, random_state=0, init='pca').fit_transform(z_test)
  figure = os.path.join(common.eval_dir(FLAGS.workdir), 'tsne.png')
  plots.scatter_by_class(embedding, test['label'], figure,
                         f't-SNE of test latents: {config.method} on {config.data.name}')
  path = common.write_json(FLAGS.workdir, 'representation', {
      'step': step, **common.run_fields(config), **result,
      'figure': figure})
  print(' '.join(f'{k} {v:.3f}' for k, v in result.items()) + f'; wrote {path}')


if __name__ == '__main__':
  common.run(main)
