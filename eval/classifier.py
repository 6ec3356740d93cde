"""python -m eval.classifier --dataset=NAME [--field=label]: trains the evaluation CNN
(and the readers' autoencoder it reads through) on the training images (once; both are
cached), and reports its test accuracy;
--field=digit trains the classifier of another integer field (rotated_mnist5k's digit
class, which eval.viewpoint uses to score whether an edit keeps the digit);
--field=identity trains the identity reader (jsemrep.readers.identity), scored by rank-1
across views instead of accuracy."""

from jsemrep import runtime

if __name__ == '__main__':
  runtime.prepare_process()   # before JAX is imported

# pylint: disable=wrong-import-position
from absl import flags
from absl import logging

from eval import common
from jsemrep import readers
from jsemrep.data import folder

FLAGS = flags.FLAGS
flags.DEFINE_string('dataset', 'mnist5k', 'Dataset to train the classifier on.')
flags.DEFINE_string('data_dir', None, 'Where datasets are prepared (default: JSEMREP_DATA_DIR or '
                    '~/.cache/jsemrep/datasets), as training\'s --config.data.data_dir.')
flags.DEFINE_string('manual_dir', None, 'The dataset\'s source directory, as training\'s '
                    '--config.data.manual_dir (the folder dataset: one folder per class).')
flags.DEFINE_list('classes', [], 'The folder dataset: its class order (as data.classes).')
flags.DEFINE_string('identity', '', 'The folder dataset: its identity pattern (data.identity).')
flags.DEFINE_list('image_size', [], 'The folder dataset: H,W to resize to (data.image_size).')
flags.DEFINE_integer('epochs', readers.MAX_EPOCHS, 'The most training epochs; training stops '
                     'once the validation accuracy has not improved for readers.PATIENCE '
                     'epochs.')
flags.DEFINE_string('field', 'label', 'Integer field of the dataset to predict.')
flags.DEFINE_enum('arch', 'cnn', sorted(readers.ARCHITECTURES),
                  'cnn: the evaluation classifier; mlp: the second reader.')


def main(argv):
  del argv
  logging.set_verbosity(logging.WARNING)
  options = None
  if FLAGS.dataset == 'folder':
    options = folder.FolderOptions(tuple(FLAGS.classes), FLAGS.identity,
                                   tuple(int(v) for v in FLAGS.image_size))
  _, info = readers.load_or_train(FLAGS.dataset, FLAGS.data_dir, FLAGS.manual_dir,
                                  epochs=FLAGS.epochs, field=FLAGS.field, arch=FLAGS.arch,
                                  options=options)
  where = readers.classifier_dir(FLAGS.dataset, FLAGS.data_dir, FLAGS.field, FLAGS.arch,
                                 options)
  measure = 'accuracy' if FLAGS.field != 'identity' else 'rank-1 across views'
  print(f'{FLAGS.dataset}: classifier ({FLAGS.arch}) of {FLAGS.field}, validation {measure} '
        f'{info["validation_accuracy"]:.4f} (epoch {info["best_epoch"]} of {info["epochs"]}), '
        f'test {measure} {info["test_accuracy"]:.4f} ({where})')


if __name__ == '__main__':
  common.run_program(main)
