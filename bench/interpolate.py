"""python -m bench.interpolate: time of one vmapped slerp study (pairs x steps x dim)
and the decode throughput of interpolants through a trained-size decoder."""

from jsemrep import runtime

if __name__ == '__main__':
  runtime.prepare_process()   # before JAX is imported

# pylint: disable=wrong-import-position

from absl import app
from absl import flags
import jax

from bench import common
from jsemrep import models
from jsemrep import sphere

FLAGS = flags.FLAGS
flags.DEFINE_integer('pairs', 1_000_000, 'Interpolation pairs.')
flags.DEFINE_integer('steps', 16, 'Steps per path.')
flags.DEFINE_integer('dim', 64, 'Latent dimension.')
flags.DEFINE_integer('decode_batch', 4096, 'Interpolants per decode call.')
flags.DEFINE_string('upsampling', 'subpixel', 'Decoder upsampling.')


def main(argv):
  del argv
  z1 = jax.random.normal(jax.random.PRNGKey(0), (FLAGS.pairs, FLAGS.dim))
  z2 = jax.random.normal(jax.random.PRNGKey(1), (FLAGS.pairs, FLAGS.dim))
  ts = sphere.path_ts(FLAGS.steps)
  study = jax.jit(lambda a, b: sphere.direct_paths_batch(a, b, ts, 'slerp'))
  seconds = common.median_seconds(lambda: study(z1, z2).block_until_ready(), repeats=3)
  codes = FLAGS.pairs * FLAGS.steps
  print(f'device: {jax.devices()[0].device_kind} | slerp study {FLAGS.pairs:,} pairs x '
        f'{FLAGS.steps} steps x {FLAGS.dim}-d: {seconds:.3f} s ({codes / seconds / 1e6:.0f} M codes/s)')

  model = models.Decoder(upsampling=FLAGS.upsampling)
  z = study(z1[:FLAGS.decode_batch // FLAGS.steps], z2[:FLAGS.decode_batch // FLAGS.steps])
  z = z.reshape(-1, FLAGS.dim)
  params = model.init(jax.random.PRNGKey(0), z[:1])
  decode = jax.jit(model.apply)
  seconds = common.median_seconds(lambda: decode(params, z).block_until_ready(), repeats=5)
  print(f'decode ({FLAGS.upsampling}, 32x32x1): {len(z) / seconds:,.0f} interpolants/s '
        f'at batch {len(z)}')


if __name__ == '__main__':
  app.run(main)
