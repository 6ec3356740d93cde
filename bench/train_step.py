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
from jsemrep import train_state
from train import feed as feed_lib
from train import resolve
from train import step as step_lib

FLAGS = flags.FLAGS
config_flags.DEFINE_config_file('config', 'train/configs/mnist_atnl.py', 'Training config.')
flags.DEFINE_integer('batch_size', None, 'Global batch size (default: the config\'s).')
flags.DEFINE_string('upsampling', None, 'Decoder upsampling (default: the config\'s).')
flags.DEFINE_integer('num_examples', 60000, 'Size of the synthetic device-resident dataset.')
flags.DEFINE_integer('steps', 20, 'Steps per timed repeat.')
flags.DEFINE_integer('repeats', 5, 'Timed repeats (the median is reported).')


def step_and_inputs(config, num_examples, num_classes=10):
  """(step, state, feed, knobs, spec): the config's step, its initial state, a
  train/feed.py Feed of random examples placed as config.data.placement says, the
  run's knobs and its spec (images of config.model.image_shape, default 32x32x1)."""
  mesh = parallel.make_mesh(config.num_devices or None)
  parallel.check_batch_size(config.batch_size, mesh)
  resolve.validate(config)
  shape = tuple(config.model.image_shape or (32, 32, 1))
  spec = resolve.complete(config, resolve.DataFacts(shape, num_classes, False, num_examples))
  rng = np.random.default_rng(0)
  arrays = {'image': rng.integers(0, 256, (num_examples, *shape), dtype=np.uint8),
            'label': rng.integers(0, num_classes, (num_examples,)).astype(np.int32)}
  pairs = None
  if methods.method(spec.method).paired:   # every identity at every class, as rotated_mnist5k
    arrays['label'] = (np.arange(num_examples) % num_classes).astype(np.int32)
    arrays['identity_row'], pairs = pairing.index_table(
        np.arange(num_examples) // num_classes, arrays['label'], num_classes)
  feed = feed_lib.Feed(arrays, spec.data.placement, mesh, spec.seed, spec.batch_size)
  bound = methods.bind([spec])
  state = parallel.replicate(train_state.create_train_state(bound, spec, jax.random.PRNGKey(0)),
                             mesh)
  knobs = parallel.replicate(spec.knobs(bound.terms), mesh)
  step = step_lib.make_step(bound, spec, mesh, num_examples=num_examples, pairs=pairs)
  return step, state, feed, knobs, spec


def main(argv):
  del argv
  config = FLAGS.config
  if FLAGS.batch_size:
    config.batch_size = FLAGS.batch_size
  if FLAGS.upsampling:
    config.model.upsampling = FLAGS.upsampling
  step, state, feed, knobs, spec = step_and_inputs(config, FLAGS.num_examples)
  per_device_flops = common.compiled_flops(step, state, feed(0), knobs)
  flops = per_device_flops and per_device_flops * jax.device_count()
  holder = {'state': state, 'step': 0}

  def run():
    s = holder['state']
    for _ in range(FLAGS.steps):
      s, metrics = step(s, feed(holder['step']), knobs)
      holder['step'] += 1
    jax.block_until_ready(metrics)
    holder['state'] = s

  seconds = common.median_seconds(run, FLAGS.repeats) / FLAGS.steps
  feed.close()
  peak = common.matmul_peak_gflops()
  images = spec.batch_size / seconds
  print(f'device: {jax.devices()[0].device_kind} x{jax.device_count()} | method {spec.method} | '
        f'{spec.model.image_shape} batch {spec.batch_size} | '
        f'upsampling {spec.model.upsampling} | dtype {spec.model.dtype} | '
        f'placement {spec.data.placement}')
  print(f'step {seconds * 1e3:.1f} ms | {images:,.0f} images/s')
  if flops:
    achieved = flops / seconds / 1e9
    print(f'{flops / 1e9:.2f} GFLOP/step (XLA cost analysis) | {achieved:.1f} GFLOP/s | '
          f'{achieved / peak:.1%} of the measured matmul peak {peak:.0f} GFLOP/s')


if __name__ == '__main__':
  app.run(main)
