"""python -m bench.host_batches [--dataset=synthetic_heads] [--batch_size=256]: images/s of
the host placement's batches (data.placement=host) read from the prepared ArrayRecord
files by random access (jsemrep.data.Records, the split never in memory) against the
same batches gathered from the split held in memory, and the memory each needs.
--synthetic_folder=50000 --manual_dir=DIR: first writes DIR as a folder dataset of that
many 64x64 RGB PNGs (5 classes named 0..4, noise), unless DIR has images already, and
measures the folder dataset made of it."""

from jsemrep import runtime

if __name__ == '__main__':
  runtime.prepare_process()   # before JAX is imported

# pylint: disable=wrong-import-position

import os

from absl import app
from absl import flags
import numpy as np
from PIL import Image

from bench import common
from jsemrep import data

FLAGS = flags.FLAGS
flags.DEFINE_string('dataset', 'synthetic_heads', 'A prepared (or preparable) dataset.')
flags.DEFINE_string('data_dir', None, 'Where datasets are prepared.')
flags.DEFINE_string('manual_dir', None, 'The dataset\'s source directory, where it needs one.')
flags.DEFINE_integer('batch_size', 256, 'Images per batch.')
flags.DEFINE_integer('batches', 20, 'Batches per timed repeat.')
flags.DEFINE_integer('repeats', 3, 'Timed repeats (the median is reported).')
flags.DEFINE_integer('synthetic_folder', 0, 'Write --manual_dir as a folder of this many '
                     '64x64 RGB PNGs first (0: no) and measure --dataset=folder on it.')


def write_folder(directory, n, classes=5, size=64):
  """n noise PNGs (size x size RGB) in class folders 0..classes-1, unless there are some."""
  if os.path.isdir(os.path.join(directory, '0')):
    return
  rng = np.random.default_rng(0)
  for i in range(n):
    folder = os.path.join(directory, str(i % classes))
    os.makedirs(folder, exist_ok=True)
    image = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
    Image.fromarray(image).save(os.path.join(folder, f'{i:06d}.png'))


def main(argv):
  del argv
  if FLAGS.synthetic_folder:
    write_folder(FLAGS.manual_dir, FLAGS.synthetic_folder)
    FLAGS.dataset = 'folder'
  records = data.records(FLAGS.dataset, 'train', FLAGS.data_dir, FLAGS.manual_dir)
  arrays = data.load(FLAGS.dataset, 'train', FLAGS.data_dir, FLAGS.manual_dir)
  n = len(records)
  batches = [np.asarray(data.batch_indices(0, step, n, FLAGS.batch_size))
             for step in range(FLAGS.batches)]
  images = FLAGS.batches * FLAGS.batch_size
  from_files = common.median_seconds(lambda: [records.take(b) for b in batches], FLAGS.repeats)
  from_memory = common.median_seconds(
      lambda: [{k: v[b] for k, v in arrays.items()} for b in batches], FLAGS.repeats)
  mb = arrays['image'].nbytes / 2 ** 20
  print(f'{FLAGS.dataset}: {n} training images {arrays["image"].shape[1:]} ({mb:,.0f} MB in '
        f'memory) | batch {FLAGS.batch_size}')
  print(f'from the files (random access): {images / from_files:,.0f} images/s; memory: the '
        f'labels ({records.labels.nbytes / 2 ** 20:.2f} MB) and one batch')
  print(f'from memory: {images / from_memory:,.0f} images/s; memory: the split ({mb:,.0f} MB)')


if __name__ == '__main__':
  app.run(main)
