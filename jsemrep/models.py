"""The paper's encoder and decoder (Flax linen), for 32x32xC and 64x64xC images."""

from typing import Sequence

import flax.linen as nn
import jax.numpy as jnp

UPSAMPLINGS = ('transpose', 'subpixel')


def depth_to_space(x, block):
  """(N, H, W, C*b*b) -> (N, H*b, W*b, C), the pixel-shuffle of sub-pixel convolution."""
  n, h, w, c = x.shape
  x = x.reshape(n, h, w, block, block, c // (block * block))
  x = x.transpose(0, 1, 3, 2, 4, 5)
  return x.reshape(n, h * block, w * block, c // (block * block))


class Upsample2x(nn.Module):
  """A 2x upsampling convolution: a 4x4 stride-2 transposed convolution, or its
  sub-pixel equivalent.

  `subpixel` is a 2x2 convolution to 4*features channels followed by
  depth-to-space. Each output pixel then sees a 2x2 input window, as it does
  under the 4x4 stride-2 transposed convolution, and the parameter count is the
  same (2*2*4 = 4*4 weights per input-output channel pair); only the phase of
  the window differs by one input pixel for half the outputs. XLA:CPU runs it
  about 10x faster than the transposed convolution.
  """
  features: int
  upsampling: str = 'subpixel'

  @nn.compact
  def __call__(self, x):
    if self.upsampling == 'transpose':
      return nn.ConvTranspose(self.features, (4, 4), strides=(2, 2), padding='SAME')(x)
    if self.upsampling == 'subpixel':
      y = nn.Conv(4 * self.features, (2, 2), padding=((0, 1), (0, 1)))(x)
      return depth_to_space(y, 2)
    raise ValueError(f'model.upsampling must be one of {UPSAMPLINGS}, got {self.upsampling!r}')


class Encoder(nn.Module):
  """3 stride-2 convolutions, then 3 dense layers to (mu, logvar)."""
  latent_dim: int = 64
  channels: Sequence[int] = (32, 64, 128)
  hidden: Sequence[int] = (512, 256)

  @nn.compact
  def __call__(self, x):
    for c in self.channels:
      x = nn.relu(nn.Conv(c, (4, 4), strides=(2, 2), padding='SAME')(x))
    x = x.reshape(x.shape[0], -1)
    for h in self.hidden:
      x = nn.relu(nn.Dense(h)(x))
    stats = nn.Dense(2 * self.latent_dim)(x)
    mu, logvar = jnp.split(stats, 2, axis=-1)
    return mu, logvar


class Decoder(nn.Module):
  """3 dense layers, then 3 2x upsampling convolutions; the last is linear."""
  image_shape: Sequence[int] = (32, 32, 1)
  channels: Sequence[int] = (32, 64, 128)
  hidden: Sequence[int] = (512, 256)
  upsampling: str = 'subpixel'

  @nn.compact
  def __call__(self, z):
    h, w, c = self.image_shape
    scale = 2 ** len(self.channels)
    x = z
    for units in reversed(self.hidden):
      x = nn.relu(nn.Dense(units)(x))
    x = nn.relu(nn.Dense((h // scale) * (w // scale) * self.channels[-1])(x))
    x = x.reshape(z.shape[0], h // scale, w // scale, self.channels[-1])
    for features in reversed(self.channels[:-1]):
      x = nn.relu(Upsample2x(features, self.upsampling)(x))
    return Upsample2x(c, self.upsampling)(x)


class VAE(nn.Module):
  """Encoder + decoder; `noise` is the standard-normal eps of the reparameterisation."""
  image_shape: Sequence[int] = (32, 32, 1)
  latent_dim: int = 64
  channels: Sequence[int] = (32, 64, 128)
  hidden: Sequence[int] = (512, 256)
  upsampling: str = 'subpixel'

  def setup(self):
    self.encoder = Encoder(self.latent_dim, self.channels, self.hidden)
    self.decoder = Decoder(self.image_shape, self.channels, self.hidden, self.upsampling)

  def __call__(self, x, noise):
    mu, logvar = self.encoder(x)
    z = mu + jnp.exp(0.5 * logvar) * noise
    return {'mu': mu, 'logvar': logvar, 'z': z, 'decoded': self.decoder(z)}

  def encode(self, x):
    return self.encoder(x)

  def decode(self, z):
    return self.decoder(z)


class LatentDiscriminator(nn.Module):
  """AAE discriminator on latent codes: MLP 100-100 -> one logit."""
  hidden: Sequence[int] = (100, 100)

  @nn.compact
  def __call__(self, z):
    for h in self.hidden:
      z = nn.leaky_relu(nn.Dense(h)(z), 0.2)
    return nn.Dense(1)(z)[..., 0]


class ImageCritic(nn.Module):
  """Image discriminator / ACAI critic: the encoder's strided convolutions, then a
  dense layer to one output per image."""
  channels: Sequence[int] = (32, 64, 128)
  hidden: int = 256

  @nn.compact
  def __call__(self, x):
    for c in self.channels:
      x = nn.leaky_relu(nn.Conv(c, (4, 4), strides=(2, 2), padding='SAME')(x), 0.2)
    x = nn.leaky_relu(nn.Dense(self.hidden)(x.reshape(x.shape[0], -1)), 0.2)
    return nn.Dense(1)(x)[..., 0]


class Classifier(nn.Module):
  """The evaluation CNN: two conv blocks and a dense layer; its penultimate
  activations are the feature space of FID and precision/recall."""
  num_classes: int = 10
  features: int = 128

  @nn.compact
  def __call__(self, x, return_features=False):
    for c in (32, 64):
      x = nn.relu(nn.Conv(c, (3, 3))(x))
      x = nn.relu(nn.Conv(c, (3, 3))(x))
      x = nn.max_pool(x, (2, 2), strides=(2, 2))
    feats = nn.relu(nn.Dense(self.features)(x.reshape(x.shape[0], -1)))
    logits = nn.Dense(self.num_classes)(feats)
    return (logits, feats) if return_features else logits


def vae_from_config(config):
  m = config.model
  return VAE(image_shape=tuple(m.image_shape), latent_dim=m.latent_dim,
             channels=tuple(m.channels), hidden=tuple(m.hidden), upsampling=m.upsampling)


def init_vae(model, key):
  x = jnp.zeros((1, *model.image_shape), jnp.float32)
  return model.init(key, x, jnp.zeros((1, model.latent_dim)))['params']
