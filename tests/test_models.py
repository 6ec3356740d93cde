import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jsemrep import models
from jsemrep import parallel
from jsemrep.readers import autoencoder as reader_autoencoder
from jsemrep.readers import classifier as reader_classifier
from tests.conftest import SMALL_READER_WIDTHS, spec_of, stepper


@pytest.mark.parametrize('shape', [(32, 32, 1), (64, 64, 3), (128, 128, 3), (48, 80, 1)])
def test_both_upsamplings_map_the_same_shapes_with_the_same_weights(shape):
  sizes = {}
  for upsampling in models.UPSAMPLINGS:
    model = models.VAE(image_shape=shape, latent_dim=16, upsampling=upsampling)
    params = jax.eval_shape(functools.partial(models.init_vae, model), jax.random.PRNGKey(0))
    out = jax.eval_shape(model.apply, {'params': params},
                         jnp.zeros((3, *shape)), jnp.zeros((3, 16)))
    assert out['decoded'].shape == (3, *shape)
    assert out['mu'].shape == out['z'].shape == (3, 16)
    kernels = [x.size for path, x in jax.tree_util.tree_leaves_with_path(params['decoder'])
               if 'kernel' in jax.tree_util.keystr(path)]
    sizes[upsampling] = sum(kernels)
  assert sizes['transpose'] == sizes['subpixel']


def test_depth_to_space_places_channels_as_2x2_blocks():
  x = jnp.arange(4.0).reshape(1, 1, 1, 4)
  np.testing.assert_array_equal(models.depth_to_space(x, 2)[0, :, :, 0], [[0, 1], [2, 3]])


def test_unknown_upsampling_is_rejected():
  model = models.VAE(upsampling='nearest')
  with pytest.raises(ValueError, match="model.upsampling must be one of .* got 'nearest'"):
    models.init_vae(model, jax.random.PRNGKey(0))


def train_20_steps(config):
  """(final state, reconstruction losses) of 20 steps on 32 random images."""
  rng = np.random.default_rng(0)
  dataset = {'image': rng.integers(0, 256, (32, 32, 32, 1), dtype=np.uint8),
             'label': rng.integers(0, 10, (32,)).astype(np.int32)}
  mesh = parallel.make_mesh(1)
  state, step, knobs = stepper(spec_of(config), mesh)
  dataset = parallel.replicate(dataset, mesh)
  losses = []
  for _ in range(20):
    state, metrics = step(state, dataset, knobs)
    losses.append(float(metrics['rec']))
  return state, losses


@pytest.mark.parametrize('upsampling', models.UPSAMPLINGS)
def test_both_decoders_train(make_config, upsampling):
  _, losses = train_20_steps(make_config(**{'model.upsampling': upsampling, 'learning_rate': 3e-3}))
  assert np.mean(losses[-3:]) < 0.8 * losses[0]


@pytest.mark.parametrize('shape,kernel,padding', [
    ((2, 32, 32, 1), (4, 4, 1, 3), 'SAME'),
    ((2, 33, 31, 2), (4, 4, 2, 3), 'SAME'),       # odd padded sizes
    ((2, 9, 9, 2), (2, 2, 2, 3), 'VALID'),
    ((2, 10, 10, 2), (4, 2, 2, 3), ((2, 1), (0, 3))),
])
def test_space_to_depth_conv_is_the_strided_convolution(shape, kernel, padding):
  x = jax.random.normal(jax.random.PRNGKey(0), shape)
  w = jax.random.normal(jax.random.PRNGKey(1), kernel)
  strided = lambda x, w: jax.lax.conv_general_dilated(x, w, (2, 2), padding,
                                                      dimension_numbers=('NHWC', 'HWIO', 'NHWC'))
  s2d = lambda x, w: models.space_to_depth_conv(x, w, (2, 2), padding)
  np.testing.assert_allclose(s2d(x, w), strided(x, w), atol=1e-5)
  loss = lambda conv: lambda x, w: jnp.sum(jnp.sin(conv(x, w)))
  for got, want in zip(jax.grad(loss(s2d), (0, 1))(x, w), jax.grad(loss(strided), (0, 1))(x, w)):
    np.testing.assert_allclose(got, want, atol=1e-4)


def test_space_to_depth_conv_rejects_what_it_does_not_compute():
  x, w = jnp.zeros((1, 8, 8, 1)), jnp.zeros((3, 3, 1, 1))
  with pytest.raises(ValueError, match=r'stride-2 convolutions with even kernels, got strides '
                                       r'\(2, 2\), kernel \(3, 3\)'):
    models.space_to_depth_conv(x, w, (2, 2), 'SAME')
  with pytest.raises(ValueError, match=r'got strides \(1, 1\)'):
    models.space_to_depth_conv(x, jnp.zeros((2, 2, 1, 1)), (1, 1), 'SAME')


def test_both_downsamplings_are_the_same_encoder():
  x = jax.random.uniform(jax.random.PRNGKey(0), (3, 32, 32, 1))
  params = models.Encoder(downsampling='strided').init(jax.random.PRNGKey(1), x)
  out = {d: models.Encoder(downsampling=d).apply(params, x) for d in models.DOWNSAMPLINGS}
  np.testing.assert_allclose(out['space_to_depth'][0], out['strided'][0], atol=1e-5)
  with pytest.raises(ValueError, match="model.downsampling must be one of .* got 'pool'"):
    models.Encoder(downsampling='pool').init(jax.random.PRNGKey(1), x)


def test_map_in_chunks_pads_to_one_shape_and_returns_every_row():
  from jsemrep import inference  # pylint: disable=import-outside-toplevel
  shapes = []

  def fn(x):
    shapes.append(x.shape)
    return {'double': 2 * x, 'sum': x.sum(1)}
  x = np.arange(14, dtype=np.float32).reshape(7, 2)
  out = inference.map_in_chunks(fn, x, chunk=3)
  np.testing.assert_array_equal(out['double'], 2 * x)
  np.testing.assert_array_equal(out['sum'], x.sum(1))
  assert shapes == [(3, 2)] * 3
  assert inference.map_in_chunks(fn, x[:0], chunk=3)['double'].shape == (0, 2)
  shapes.clear()
  long = np.zeros((40, 2), np.float32)
  for n in (1, 16, 17, 33, 40):
    assert inference.map_in_chunks(fn, long[:n], chunk=32)['double'].shape == (n, 2)
  assert shapes == [(16, 2), (16, 2), (32, 2), (32, 2), (32, 2), (32, 2), (32, 2)]


def test_bfloat16_computes_in_bf16_with_float32_parameters_and_outputs():
  f32 = models.VAE(latent_dim=16, channels=(8, 16, 16), hidden=(32, 32))
  bf16 = models.VAE(latent_dim=16, channels=(8, 16, 16), hidden=(32, 32), dtype=jnp.bfloat16)
  params = models.init_vae(bf16, jax.random.PRNGKey(0))
  assert {x.dtype for x in jax.tree.leaves(params)} == {jnp.dtype('float32')}
  jax.tree.map(np.testing.assert_array_equal, params, models.init_vae(f32, jax.random.PRNGKey(0)))
  x = jax.random.uniform(jax.random.PRNGKey(1), (4, 32, 32, 1))
  noise = jnp.zeros((4, 16))
  out, reference = (jax.jit(m.apply)({'params': params}, x, noise) for m in (bf16, f32))
  assert out['decoded'].dtype == out['mu'].dtype == jnp.float32
  assert not np.array_equal(out['decoded'], reference['decoded'])    # bf16 did the work
  np.testing.assert_allclose(out['decoded'], reference['decoded'], atol=0.05)
  jaxpr = str(jax.make_jaxpr(lambda p: bf16.apply({'params': p}, x, noise))(params))
  assert 'conv_general_dilated' in jaxpr and 'bf16[4,16,16,8]' in jaxpr


def test_a_bfloat16_run_trains_and_keeps_float32_state(make_config):
  state, losses = train_20_steps(make_config(**{'model.dtype': 'bfloat16', 'learning_rate': 3e-3}))
  assert {x.dtype for x in jax.tree.leaves((state.params, state.opt_state))
          if hasattr(x, 'dtype') and x.ndim} == {jnp.dtype('float32')}
  assert all(np.isfinite(losses)) and np.mean(losses[-3:]) < 0.8 * losses[0]


def test_classifier_augmentation_is_per_image_in_range_and_keyed():
  image = jnp.zeros((32, 32, 1)).at[8:24, 14:18].set(1.0)
  keys = jax.random.split(jax.random.PRNGKey(0), 8)
  out = jax.vmap(reader_classifier.augment)(keys, jnp.broadcast_to(image, (8, 32, 32, 1)))
  assert out.shape == (8, 32, 32, 1) and float(out.min()) >= 0 and float(out.max()) <= 1
  assert len({np.asarray(o).tobytes() for o in out}) == 8       # every image its own draw
  np.testing.assert_array_equal(out[0], reader_classifier.augment(keys[0], image))
  assert float(out.sum(axis=(1, 2, 3)).std()) > 0                # contrast/noise vary the mass
  # A blur of sigma ~0 leaves an image alone; sigma 1 spreads the bar sideways.
  np.testing.assert_allclose(reader_classifier._blur(image, 1e-6), image, atol=1e-6)  # pylint: disable=protected-access
  assert float(reader_classifier._blur(image, 1.0)[16, 13, 0]) > 0.1  # pylint: disable=protected-access


def test_mix_reconstructions_replaces_whole_images_at_the_share():
  images, reconstructions = jnp.zeros((1000, 4, 4, 1)), jnp.ones((1000, 4, 4, 1))
  key = jax.random.PRNGKey(0)
  np.testing.assert_array_equal(reader_classifier.mix_reconstructions(key, 0.0, images, reconstructions),
                                images)
  np.testing.assert_array_equal(reader_classifier.mix_reconstructions(key, 1.0, images, reconstructions),
                                reconstructions)
  per_image = reader_classifier.mix_reconstructions(key, 0.5, images, reconstructions).mean(axis=(1, 2, 3))
  assert set(np.unique(per_image)) == {0.0, 1.0}                 # whole images, never blends
  assert 0.45 < float(per_image.mean()) < 0.55


def test_reader_autoencoder_learns_to_reconstruct(monkeypatch):
  monkeypatch.setattr(reader_autoencoder, 'MIN_STEPS', 0)   # 30 steps: near, not exact
  rng = np.random.default_rng(0)
  bars = np.zeros((64, 32, 32, 1), np.uint8)
  for i, column in enumerate(rng.integers(4, 28, 64)):
    bars[i, 4:28, column - 2:column + 2] = 255
  autoencoder = reader_autoencoder.train(bars, epochs=30)
  out = reader_autoencoder.reconstruct(*autoencoder, bars, chunk=48)   # a padded last chunk
  assert out.shape == bars.shape and out.dtype == np.uint8
  # Each bar is given back nearer than the mean image is to it: it reads the image.
  assert np.abs(out.astype(float) - bars).mean() < 0.6 * np.abs(bars.mean(0) - bars).mean()
  # A reader given the autoencoder reads each image as the autoencoder gives it back.
  model = reader_classifier.ARCHITECTURES['mlp'](2)
  params = model.init(jax.random.PRNGKey(1), jnp.zeros((1, 32, 32, 1)))['params']
  _, through = reader_classifier.predict(model, params, bars.astype(np.float32) / 255,
                                  autoencoder=autoencoder)
  _, direct = reader_classifier.predict(model, params, out)
  np.testing.assert_allclose(through, direct, rtol=1e-5, atol=1e-6)
  assert not np.allclose(reader_classifier.predict(model, params, bars)[1], direct, atol=1e-3)
  with pytest.raises(ValueError, match="reconstruction_share=1.0 needs the readers' autoencoder"):
    split = {'image': bars, 'label': np.zeros(64, np.int32)}
    reader_classifier.train_classifier(split, split, split, 2, epochs=1, reconstruction_share=1.0)


def test_classifier_training_stops_when_validation_stops_improving():
  rng = np.random.default_rng(0)
  labels = np.arange(512) % 2
  images = (rng.integers(0, 40, (512, 8, 8, 1)) + 200 * labels[:, None, None, None]).astype(np.uint8)
  split = {'image': images, 'label': labels.astype(np.int32)}
  _, _, info = reader_classifier.train_classifier(split, split, split, 2, epochs=20,
                                                  reconstruction_share=0,
                                                  widths=SMALL_READER_WIDTHS['cnn'])
  # Perfect from its first epochs on: it stops PATIENCE epochs after its best.
  assert info['validation_accuracy'] == 1.0 == info['test_accuracy']
  assert info['epochs'] == info['best_epoch'] + reader_classifier.PATIENCE < 20


def test_reader_autoencoder_trains_at_least_min_steps():
  """A few epochs of a small dataset are too few steps (mnist5k's 3,600 digits gave 84)."""
  assert reader_autoencoder.num_steps(3600) == reader_autoencoder.MIN_STEPS == 500
  assert reader_autoencoder.num_steps(25200) == 3 * (25200 // 128) == 588   # rotated_mnist5k
  assert reader_autoencoder.num_steps(64, epochs=30) == 500
