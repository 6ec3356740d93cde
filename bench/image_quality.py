"""python -m bench.image_quality: L1 + SSIM throughput (image pairs per second) of
jsemrep.metrics.image_quality at the heads' 64x64x3, the per-endpoint cost of
eval.viewpoint and eval.inbetween."""

from jsemrep import runtime

if __name__ == '__main__':
  runtime.prepare_process()   # before JAX is imported

# pylint: disable=wrong-import-position

from absl import app
from absl import flags
import jax
import numpy as np

from bench import common
from jsemrep.metrics import image_quality

FLAGS = flags.FLAGS
flags.DEFINE_integer('pairs', 2048, 'Image pairs per measurement.')
flags.DEFINE_integer('size', 64, 'Image height and width.')
flags.DEFINE_integer('channels', 3, 'Image channels.')


def main(argv):
  del argv
  rng = np.random.default_rng(0)
  shape = (FLAGS.pairs, FLAGS.size, FLAGS.size, FLAGS.channels)
  x = rng.uniform(size=shape).astype(np.float32)
  y = np.clip(x + rng.normal(0, 0.1, shape), 0, 1).astype(np.float32)
  seconds = common.median_seconds(
      lambda: jax.block_until_ready(image_quality.l1_and_ssim(x, y)), repeats=3)
  print(f'device: {jax.devices()[0].device_kind} | L1 + SSIM of {FLAGS.pairs:,} pairs of '
        f'{FLAGS.size}x{FLAGS.size}x{FLAGS.channels}: {seconds:.2f} s '
        f'({FLAGS.pairs / seconds:,.0f} pairs/s)')


if __name__ == '__main__':
  app.run(main)
