"""python -m eval.generation --workdir=DIR: FID, precision and recall (k = 3) of prior
samples and of interpolants (midpoints of semantic slerp paths between random test
pairs) against real test images, in the evaluation classifier's feature space."""

from jsemrep import runtime

if __name__ == '__main__':
  runtime.prepare_process()   # before JAX is imported

# pylint: disable=wrong-import-position

from absl import flags
import jax
import jax.numpy as jnp
import numpy as np

from eval import common
from jsemrep import classifier as classifier_lib
from jsemrep import data
from jsemrep import inference
from jsemrep import sphere
from jsemrep.metrics import generation

FLAGS = flags.FLAGS
flags.DEFINE_integer('samples', 1000, 'Generated images per kind.')


def main(argv):
  del argv
  config, model, params, step = common.restore(FLAGS.workdir, FLAGS.step)
  train, test = data.load_split(config, 'train'), data.load_split(config, 'test')
  clf_model, clf_params, clf_info = classifier_lib.for_run(config)
  features = lambda images: classifier_lib.predict(clf_model, clf_params, images)[1]
  to_images = lambda z: inference.to_images(inference.decode(model, params, np.asarray(z)),
                                            config.loss.reconstruction)
  rng = np.random.default_rng(0)
  n = FLAGS.samples
  real = features(test['image'][rng.permutation(len(test['image']))[:n]])
  prior = jax.random.normal(jax.random.PRNGKey(0), (n, config.model.latent_dim))
  z_test = inference.encode(model, params, test['image'])
  a, b = rng.integers(0, len(z_test), n), rng.integers(0, len(z_test), n)
  prototypes = inference.class_prototypes(model, params, train['image'], train['label'],
                                           config.data.num_classes)
  mixes = sphere.semantic_paths_batch(jnp.asarray(z_test[a]), jnp.asarray(z_test[b]),
                                      jnp.asarray(test['label'][a]), jnp.asarray(test['label'][b]),
                                      prototypes, jnp.array([0.5]))[:, 0]
  result = {'step': step, **common.run_fields(config),
            'classifier_test_accuracy': clf_info['test_accuracy']}
  for kind, z in (('prior', prior), ('interpolants', mixes)):
    fake = features(to_images(z))
    precision, recall = generation.precision_recall(real, fake, k=3)
    result[kind] = {'fid': generation.fid(real, fake), 'precision': precision, 'recall': recall}
    print(f'{kind}: FID {result[kind]["fid"]:.2f} precision {precision:.3f} recall {recall:.3f}')
  common.write_json(FLAGS.workdir, 'generation', result)


if __name__ == '__main__':
  common.run(main)
