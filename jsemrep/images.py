"""Pixel conventions: uint8 data to model inputs, decoder outputs to images."""

import jax
import jax.numpy as jnp


def to_float(images):
  """uint8 images -> float32 in [0, 1]."""
  return images.astype(jnp.float32) / 255.0


def decoded_to_images(decoded, reconstruction, clip=True):
  """Decoder outputs as images in [0, 1]: sigmoid of logits for the `bce` loss,
  else the outputs themselves (the decoder's last layer is linear), clipped to
  [0, 1] for display and classification. Critics take clip=False, so their
  gradient reaches outputs outside [0, 1]."""
  if reconstruction == 'bce':
    return jax.nn.sigmoid(decoded)
  return jnp.clip(decoded, 0.0, 1.0) if clip else decoded
