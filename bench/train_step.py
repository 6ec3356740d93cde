"""python -m bench.train_step --config=train/configs/mnist_atnl.py [--batch_size=256]
[--upsampling=subpixel|transpose] [--config.model.dtype=bfloat16]
[--config.data.placement=device|sharded|host]: images/s of the full training step (batch gather,
forward, losses, backward, Adam update), achieved GFLOP/s from XLA's cost analysis and
the fraction of the measured matmul peak. The data are random uint8 images of the
config's shape, so no dataset is needed (the step's work does not depend on pixels)."""

from jsemrep import runtime

if __name__ == '__main__':
  runtime.prepare_process()   # before JAX is imported

# pylint: disable=wrong-import-position

from absl import app
from absl import flags
import jax
import numpy as np
from ml_collections import config_flags

from bench import common
from jsemrep import methods
from jsemrep import pairing
from jsemrep import parallel
from train import feed as feed_lib
from train import train

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file('config', 'train/configs/mnist_atnl.py', 'Training config.')
flags.DEFINE_integer('batch_size', None, 'Global batch size (default: the config\'s).')
flags.DEFINE_string('upsampling', None, 'Decoder upsampling (default: the config\'s).')
flags.DEFINE_integer('num_examples', 60000, 'Size of the synthetic device-resident dataset.')
flags.DEFINE_integer('steps', 20, 'Steps per timed repeat.')
flags.DEFINE_integer('repeats', 5, 'Timed repeats (the median is reported).')


def step_and_inputs(config, num_examples):
  """(step, state, feed): the config's step, its initial state and a train/feed.py Feed
  of random examples placed as config.data.placement says."""
  mesh = parallel.make_mesh(config.num_devices or None)
  parallel.check_batch_size(config.batch_size, mesh)
  rng = np.random.default_rng(0)
  h, w, c = config.model.image_shape
  arrays = {'image': rng.integers(0, 256, (num_examples, h, w, c), dtype=np.uint8),
            'label': rng.integers(0, config.data.num_classes, (num_examples,)).astype(np.int32)}
  pairs = None
  if methods.method(config).paired:   # every identity at every class, as rotated_mnist5k
    arrays['label'] = (np.arange(num_examples) % config.data.num_classes).astype(np.int32)
    arrays['identity_row'], pairs = pairing.index_table(
        np.arange(num_examples) // config.data.num_classes, arrays['label'],
        config.data.num_classes)
  feed = feed_lib.Feed(arrays, config.data.placement, mesh, config.seed, config.batch_size)
  state = parallel.replicate(methods.init_state(config, jax.random.PRNGKey(0)), mesh)
  return train.make_step(config, mesh, num_examples=num_examples, pairs=pairs), state, feed


def main(argv):
  del argv
  config = FLAGS.config
  if FLAGS.batch_size:
    config.batch_size = FLAGS.batch_size
  if FLAGS.upsampling:
    config.model.upsampling = FLAGS.upsampling
  step, state, feed = step_and_inputs(config, FLAGS.num_examples)
  per_device_flops = common.compiled_flops(step, state, feed(0))
  flops = per_device_flops and per_device_flops * jax.device_count()
  holder = {'state': state, 'step': 0}

  def run():
    s = holder['state']
    for _ in range(FLAGS.steps):
      s, metrics = step(s, feed(holder['step']))
      holder['step'] += 1
    jax.block_until_ready(metrics)
    holder['state'] = s

  seconds = common.median_seconds(run, FLAGS.repeats) / FLAGS.steps
  feed.close()
  peak = common.matmul_peak_gflops()
  images = config.batch_size / seconds
  print(f'device: {jax.devices()[0].device_kind} x{jax.device_count()} | method {config.method} | '
        f'{tuple(config.model.image_shape)} batch {config.batch_size} | '
        f'upsampling {config.model.upsampling} | dtype {config.model.dtype} | '
        f'placement {config.data.placement}')
  print(f'step {seconds * 1e3:.1f} ms | {images:,.0f} images/s')
  if flops:
    achieved = flops / seconds / 1e9
    print(f'{flops / 1e9:.2f} GFLOP/step (XLA cost analysis) | {achieved:.1f} GFLOP/s | '
          f'{achieved / peak:.1%} of the measured matmul peak {peak:.0f} GFLOP/s')


if __name__ == '__main__':
  app.run(main)
