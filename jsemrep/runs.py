"""A trained run for notebook work: `run = jsemrep.load_run(workdir)`."""

import dataclasses
from typing import Any, Optional

import jax.numpy as jnp
import numpy as np

from jsemrep import checkpoint
from jsemrep import inference
from jsemrep import models
from jsemrep import sphere


@dataclasses.dataclass(frozen=True)
class Run:
  """A restored training run: its stored config, the Flax model and its parameters.

  Attributes:
    config: the config stored with the checkpoint (an ml_collections.ConfigDict).
    model: the VAE (a flax.linen module, used through `apply`).
    params: the VAE's parameters, a plain pytree.
    step: the checkpoint's training step.
  """
  config: Any
  model: Any
  params: Any
  step: int

  def encode(self, images: np.ndarray) -> np.ndarray:
    """Latent means of uint8 images.

    Args:
      images: (N, H, W, C) uint8 images of the run's image shape.
    Returns:
      (N, latent_dim) float32 codes.
    """
    expected = tuple(self.config.model.image_shape)
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.shape[1:] != expected:
      raise TypeError(f'encode takes uint8 images of shape (N, {", ".join(map(str, expected))}); '
                      f'got {images.dtype} of shape {images.shape}')
    return inference.encode(self.model, self.params, images)

  def decode(self, codes: np.ndarray, chunk: int = 1000) -> np.ndarray:
    """Images in [0, 1] of codes of any leading shape.

    Args:
      codes: (..., latent_dim) codes.
      chunk: codes decoded per device call.
    Returns:
      (..., H, W, C) float32 images in [0, 1].
    """
    codes = np.asarray(codes, np.float32)
    if codes.shape[-1:] != (self.config.model.latent_dim,):
      raise TypeError(f'decode takes codes of shape (..., {self.config.model.latent_dim}); '
                      f'got {codes.shape}')
    return inference.to_images(inference.decode(self.model, self.params, codes, chunk),
                               self.config.loss.reconstruction)

  def prototypes(self, split: str = 'train') -> jnp.ndarray:
    """(num_classes, latent_dim) unit mean code direction of each class of a split."""
    from jsemrep import data  # pylint: disable=import-outside-toplevel
    examples = data.load_split(self.config, split)
    return sphere.class_prototypes(jnp.asarray(self.encode(examples['image'])),
                                   examples['label'], self.config.data.num_classes)


def load_run(workdir: str, step: Optional[int] = None) -> Run:
  """The run trained in `workdir`, from its checkpoint and stored config alone.

  Args:
    workdir: the directory `python -m train.main --workdir=...` wrote.
    step: a checkpoint step (default: the latest).
  Returns:
    A `Run`. Raises jsemrep.errors.CheckpointError if there is no usable checkpoint.
  """
  config, state = checkpoint.restore_trained(workdir, step)
  return Run(config, models.vae_from_config(config), state.params['vae'], int(state.step))
