import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jsemrep import methods
from jsemrep import models
from jsemrep import parallel
from train import train


@pytest.mark.parametrize('shape', [(32, 32, 1), (64, 64, 3)])
def test_both_upsamplings_map_the_same_shapes_with_the_same_weights(shape):
  sizes = {}
  for upsampling in models.UPSAMPLINGS:
    model = models.VAE(image_shape=shape, latent_dim=16, upsampling=upsampling)
    params = models.init_vae(model, jax.random.PRNGKey(0))
    out = model.apply({'params': params}, jnp.zeros((3, *shape)), jnp.zeros((3, 16)))
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


@pytest.mark.parametrize('upsampling', models.UPSAMPLINGS)
def test_both_decoders_train(make_config, upsampling):
  config = make_config(**{'model.upsampling': upsampling, 'learning_rate': 3e-3})
  rng = np.random.default_rng(0)
  dataset = {'image': rng.integers(0, 256, (32, 32, 32, 1), dtype=np.uint8),
             'label': rng.integers(0, 10, (32,)).astype(np.int32)}
  mesh = parallel.make_mesh(1)
  state = parallel.replicate(methods.init_state(config, jax.random.PRNGKey(0)), mesh)
  step = train.make_step(config, mesh)
  dataset = parallel.replicate(dataset, mesh)
  losses = []
  for _ in range(20):
    state, metrics = step(state, dataset)
    losses.append(float(metrics['rec']))
  assert np.mean(losses[-3:]) < 0.8 * losses[0]
