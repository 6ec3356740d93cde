"""python -m eval.classifier --dataset=NAME [--field=label]: trains the evaluation CNN
(and the readers' autoencoder it reads through) on the training images (once; both are
cached), and reports its test accuracy;
--field=digit trains the classifier of another integer field (rotated_mnist5k's digit
class, which eval.viewpoint uses to score whether an edit keeps the digit)."""

from jsemrep import runtime

if __name__ == '__main__':
  runtime.prepare_process()   # before JAX is imported

# pylint: disable=wrong-import-position
from absl import app
from absl import flags
from absl import logging

from jsemrep import classifier

FLAGS = flags.FLAGS
flags.DEFINE_string('dataset', 'mnist5k', 'Dataset to train the classifier on.')
flags.DEFINE_integer('epochs', classifier.MAX_EPOCHS, 'The most training epochs; training stops '
                     'once the validation accuracy has not improved for classifier.PATIENCE '
                     'epochs.')
flags.DEFINE_string('field', 'label', 'Integer field of the dataset to predict.')
flags.DEFINE_enum('arch', 'cnn', sorted(classifier.ARCHITECTURES),
                  'cnn: the evaluation classifier; mlp: the second reader.')


def main(argv):
  del argv
  logging.set_verbosity(logging.WARNING)
  _, info = classifier.load_or_train(FLAGS.dataset, epochs=FLAGS.epochs, field=FLAGS.field,
                                     arch=FLAGS.arch)
  print(f'{FLAGS.dataset}: classifier ({FLAGS.arch}) of {FLAGS.field}, validation accuracy '
        f'{info["validation_accuracy"]:.4f} (epoch {info["best_epoch"]} of {info["epochs"]}), '
        f'test accuracy {info["test_accuracy"]:.4f} '
        f'({classifier.classifier_dir(FLAGS.dataset, field=FLAGS.field, arch=FLAGS.arch)})')


if __name__ == '__main__':
  app.run(main)
