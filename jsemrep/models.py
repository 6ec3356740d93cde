"""The paper's encoder and decoder (Flax linen), for 32x32xC and 64x64xC images."""

from typing import Any, Sequence

import flax.linen as nn
from jax import lax
import jax
import jax.numpy as jnp

UPSAMPLINGS = ('transpose', 'subpixel')
DOWNSAMPLINGS = ('strided', 'space_to_depth')
DTYPES = ('float32', 'bfloat16')   # computation dtypes (parameters stay float32)


def depth_to_space(x, block):
  """(N, H, W, C*b*b) -> (N, H*b, W*b, C), the pixel-shuffle of sub-pixel convolution."""
  n, h, w, c = x.shape
  x = x.reshape(n, h, w, block, block, c // (block * block))
  x = x.transpose(0, 1, 3, 2, 4, 5)
  return x.reshape(n, h * block, w * block, c // (block * block))


def space_to_depth(x, block):
  """(N, H*b, W*b, C) -> (N, H, W, C*b*b), the inverse of depth_to_space."""
  n, h, w, c = x.shape
  x = x.reshape(n, h // block, block, w // block, block, c)
  x = x.transpose(0, 1, 3, 2, 4, 5)
  return x.reshape(n, h // block, w // block, block * block * c)


def space_to_depth_conv(lhs, rhs, window_strides, padding, lhs_dilation=None, rhs_dilation=None,
                        feature_group_count=1, precision=None, **unused):
  """A stride-2 NHWC convolution with an even HWIO kernel, computed as
  space-to-depth of the padded input and a stride-1 convolution with the same
  weights regrouped: the same function of the same parameters.

  A drop-in `conv_general_dilated` for flax's nn.Conv. Its point is the
  backward pass: the input gradient of a strided convolution is an
  input-dilated convolution, which XLA:CPU runs slowly (14 ms of a 130 ms
  training step at batch 256), while here forward and both gradients are plain
  stride-1 convolutions.
  """
  del unused  # dimension_numbers: flax's nn.Conv is NHWC/HWIO
  kh, kw, cin, cout = rhs.shape
  plain = (all(d in (None, (1, 1)) for d in (lhs_dilation, rhs_dilation))
           and feature_group_count == 1)
  if tuple(window_strides) != (2, 2) or kh % 2 or kw % 2 or not plain:
    raise ValueError(f'space_to_depth_conv computes undilated, ungrouped stride-2 convolutions '
                     f'with even kernels, got strides {tuple(window_strides)}, kernel {(kh, kw)}')
  if isinstance(padding, str):
    padding = lax.padtype_to_pads(lhs.shape[1:3], (kh, kw), window_strides, padding)
  (top, bottom), (left, right) = padding
  height, width = lhs.shape[1] + top + bottom, lhs.shape[2] + left + right
  out_h, out_w = (height - kh) // 2 + 1, (width - kw) // 2 + 1
  x = jnp.pad(lhs, ((0, 0), (top, bottom + height % 2), (left, right + width % 2), (0, 0)))
  kernel = rhs.reshape(kh // 2, 2, kw // 2, 2, cin, cout).transpose(0, 2, 1, 3, 4, 5)
  kernel = kernel.reshape(kh // 2, kw // 2, 4 * cin, cout)
  y = lax.conv_general_dilated(space_to_depth(x, 2), kernel, (1, 1), 'VALID',
                               dimension_numbers=('NHWC', 'HWIO', 'NHWC'), precision=precision)
  return y[:, :out_h, :out_w]


def downsampling_conv(downsampling):
  """The `conv_general_dilated` of the stride-2 convolutions, by config name."""
  if downsampling == 'strided':
    return lax.conv_general_dilated
  if downsampling == 'space_to_depth':
    return space_to_depth_conv
  raise ValueError(f'model.downsampling must be one of {DOWNSAMPLINGS}, got {downsampling!r}')


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
  dtype: Any = jnp.float32

  @nn.compact
  def __call__(self, x):
    if self.upsampling == 'transpose':
      return nn.ConvTranspose(self.features, (4, 4), strides=(2, 2), padding='SAME',
                              dtype=self.dtype)(x)
    if self.upsampling == 'subpixel':
      y = nn.Conv(4 * self.features, (2, 2), padding=((0, 1), (0, 1)), dtype=self.dtype)(x)
      return depth_to_space(y, 2)
    raise ValueError(f'model.upsampling must be one of {UPSAMPLINGS}, got {self.upsampling!r}')


def strided_convs(x, channels, downsampling, activation, dtype=jnp.float32):
  """4x4 stride-2 convolutions (computed as `downsampling` says), each followed by the
  activation; called inside a compact module, whose Conv_0, Conv_1 ... they become."""
  conv = downsampling_conv(downsampling)
  for c in channels:
    x = activation(nn.Conv(c, (4, 4), strides=(2, 2), padding='SAME', conv_general_dilated=conv,
                           dtype=dtype)(x))
  return x


class _Widths(nn.Module):
  """What the encoder and the decoder share: conv channels, dense widths, dtype."""
  channels: Sequence[int] = (32, 64, 128)
  hidden: Sequence[int] = (512, 256)
  dtype: Any = jnp.float32


class Encoder(_Widths):
  """3 stride-2 convolutions, then 3 dense layers to (mu, logvar)."""
  latent_dim: int = 64
  downsampling: str = 'space_to_depth'

  @nn.compact
  def __call__(self, x):
    x = strided_convs(x, self.channels, self.downsampling, nn.relu, self.dtype)
    x = x.reshape(x.shape[0], -1)
    for h in self.hidden:
      x = nn.relu(nn.Dense(h, dtype=self.dtype)(x))
    stats = nn.Dense(2 * self.latent_dim, dtype=self.dtype)(x).astype(jnp.float32)
    mu, logvar = jnp.split(stats, 2, axis=-1)
    return mu, logvar


class Decoder(_Widths):
  """3 dense layers, then 3 2x upsampling convolutions; the last is linear."""
  image_shape: Sequence[int] = (32, 32, 1)
  upsampling: str = 'subpixel'

  @nn.compact
  def __call__(self, z):
    h, w, c = self.image_shape
    scale = 2 ** len(self.channels)
    x = z
    for units in reversed(self.hidden):
      x = nn.relu(nn.Dense(units, dtype=self.dtype)(x))
    x = nn.relu(nn.Dense((h // scale) * (w // scale) * self.channels[-1], dtype=self.dtype)(x))
    x = x.reshape(z.shape[0], h // scale, w // scale, self.channels[-1])
    for features in reversed(self.channels[:-1]):
      x = nn.relu(Upsample2x(features, self.upsampling, self.dtype)(x))
    return Upsample2x(c, self.upsampling, self.dtype)(x).astype(jnp.float32)


class VAE(nn.Module):
  """Encoder + decoder; `noise` is the standard-normal eps of the reparameterisation."""
  image_shape: Sequence[int] = (32, 32, 1)
  latent_dim: int = 64
  channels: Sequence[int] = (32, 64, 128)
  hidden: Sequence[int] = (512, 256)
  upsampling: str = 'subpixel'
  downsampling: str = 'space_to_depth'

  dtype: Any = jnp.float32   # computation dtype; parameters stay float32
  # A class-conditional decoder (the cvae method): the first semantic_dims of the code
  # are a learned embedding of the class, not the encoder's; 0 classes: none.
  conditional_classes: int = 0
  semantic_dims: int = 0

  def setup(self):
    widths = {'channels': self.channels, 'hidden': self.hidden, 'dtype': self.dtype}
    self.encoder = Encoder(latent_dim=self.latent_dim, downsampling=self.downsampling, **widths)
    self.decoder = Decoder(image_shape=self.image_shape, upsampling=self.upsampling, **widths)
    if self.conditional_classes:
      self.class_embedding = nn.Embed(self.conditional_classes, self.semantic_dims)

  def __call__(self, x, noise, labels=None):
    mu, logvar = self.encoder(x)
    z = mu + jnp.exp(0.5 * logvar) * noise
    if self.conditional_classes:
      z = self.with_class(z, labels)
    return {'mu': mu, 'logvar': logvar, 'z': z, 'decoded': self.decoder(z)}

  def with_class(self, z, labels):
    """A conditional model's code: the embedding of `labels` in place of the first
    semantic_dims of z (the encoder's c is the rest)."""
    return jnp.concatenate([self.class_embedding(labels), z[..., self.semantic_dims:]], axis=-1)

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
  downsampling: str = 'space_to_depth'

  @nn.compact
  def __call__(self, x):
    x = strided_convs(x, self.channels, self.downsampling, lambda y: nn.leaky_relu(y, 0.2))
    x = nn.leaky_relu(nn.Dense(self.hidden)(x.reshape(x.shape[0], -1)), 0.2)
    return nn.Dense(1)(x)[..., 0]


class Classifier(nn.Module):
  """The evaluation CNN: a conv block per entry of channels and a dense layer; its penultimate
  activations are the feature space of FID and precision/recall."""
  num_classes: int = 10
  channels: Sequence[int] = (32, 64)
  features: int = 128

  @nn.compact
  def __call__(self, x, return_features=False):
    for c in self.channels:
      x = nn.relu(nn.Conv(c, (3, 3))(x))
      x = nn.relu(nn.Conv(c, (3, 3))(x))
      x = nn.max_pool(x, (2, 2), strides=(2, 2))
    feats = nn.relu(nn.Dense(self.features)(x.reshape(x.shape[0], -1)))
    logits = nn.Dense(self.num_classes)(feats)
    return (logits, feats) if return_features else logits


class MLPClassifier(nn.Module):
  """The second evaluation reader: an architecture of another kind (dense layers on
  the pixels, no convolutions), so that a score read alike by both does not rest on
  one network's quirks."""
  num_classes: int = 10
  hidden: Sequence[int] = (512, 256)

  @nn.compact
  def __call__(self, x, return_features=False):
    x = x.reshape(x.shape[0], -1)
    for units in self.hidden:
      x = nn.relu(nn.Dense(units)(x))
    logits = nn.Dense(self.num_classes)(x)
    return (logits, x) if return_features else logits


def vae_from_spec(spec, conditional=False):
  """The run's VAE; conditional: with the class embedding of a conditional method
  (methods.Method.conditional), over spec.data.num_classes classes."""
  m = spec.model
  extra = {}
  if conditional:
    extra = {'conditional_classes': int(spec.data.num_classes),
             'semantic_dims': int(m.semantic_dims)}
  return VAE(image_shape=tuple(m.image_shape), latent_dim=m.latent_dim,
             channels=tuple(m.channels), hidden=tuple(m.hidden), upsampling=m.upsampling,
             downsampling=m.downsampling, dtype=jnp.dtype(m.dtype), **extra)


def init_vae(model, key):
  """The VAE's initial parameters (one jitted program, not an eager op per layer)."""
  x = jnp.zeros((1, *model.image_shape), jnp.float32)
  labels = {'labels': jnp.zeros((1,), jnp.int32)} if model.conditional_classes else {}
  return jax.jit(lambda k: model.init(k, x, jnp.zeros((1, model.latent_dim)),
                                      **labels)['params'])(key)
