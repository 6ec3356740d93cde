"""python -m eval.classifier --dataset=NAME: trains the evaluation CNN on the real
training images (once; it is cached), and reports its test accuracy."""

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
flags.DEFINE_integer('epochs', 15, 'Training epochs.')


def main(argv):
  del argv
  logging.set_verbosity(logging.WARNING)
  _, _, info = classifier.load_or_train(FLAGS.dataset, epochs=FLAGS.epochs)
  print(f'{FLAGS.dataset}: evaluation classifier test accuracy {info["test_accuracy"]:.4f} '
        f'({classifier.classifier_dir(FLAGS.dataset)})')


if __name__ == '__main__':
  app.run(main)
