"""A restored training run: the one type that notebooks, the evaluators and evaluation
while training share (`run = jsemrep.load_run(workdir)`)."""

import dataclasses
import functools
from typing import Any, Optional

import jax.numpy as jnp
import numpy as np

from jsemrep import checkpoint
from jsemrep import inference
from jsemrep import methods
from jsemrep import split as split_lib
from jsemrep import sphere
from jsemrep.errors import JsemrepError


class NoClassifierError(JsemrepError):
  """The run may not train an evaluation classifier and none is cached."""


@functools.lru_cache(maxsize=16)
def _split(name, split, data_dir, manual_dir):
  from jsemrep import data  # pylint: disable=import-outside-toplevel
  return data.load(name, split, data_dir, manual_dir)


@dataclasses.dataclass(frozen=True)
class Run:
  """A run's stored config, the Flax model and its parameters.

  Attributes:
    config: the config stored with the checkpoint (an ml_collections.ConfigDict).
    model: the VAE (a flax.linen module, used through `apply`).
    params: the VAE's parameters, a plain pytree.
    step: the checkpoint's training step.
    train_classifiers: whether `classifier` may train an evaluation classifier that
      is not cached yet (False while training: it raises NoClassifierError instead).
  """
  config: Any
  model: Any
  params: Any
  step: int
  train_classifiers: bool = True
  _cache: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)

  @classmethod
  def of(cls, config, params, step, **kwargs) -> 'Run':
    """A Run of parameters in hand (evaluation while training)."""
    return cls(config, methods.model_of(config), params, int(step), **kwargs)

  @property
  def num_classes(self) -> int:
    return int(self.config.data.num_classes)

  @property
  def circular(self) -> bool:
    """Whether the classes form a ring (angle bins): paths and edits go the short way."""
    return bool(self.config.data.get('circular', False))

  @property
  def semantic_dims(self) -> int:
    """D of a split latent (the semantic part s = z[:, :D]); 0: a single latent."""
    return split_lib.semantic_dims(self.config)

  def split(self, name: str) -> dict:
    """A split of the run's dataset as numpy arrays (cached in the process)."""
    data = self.config.data
    return _split(data.name, name, data.data_dir or None, data.manual_dir or None)

  def encode(self, images: np.ndarray, labels: Optional[np.ndarray] = None) -> np.ndarray:
    """Latent means of uint8 images.

    Args:
      images: (N, H, W, C) uint8 images of the run's image shape.
      labels: (N,) their classes; needed by a conditional run (cvae), whose code
        holds the class embedding in place of s; ignored by the others.
    Returns:
      (N, latent_dim) float32 codes.
    """
    expected = tuple(self.config.model.image_shape)
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.shape[1:] != expected:
      raise TypeError(f'encode takes uint8 images of shape (N, {", ".join(map(str, expected))}); '
                      f'got {images.dtype} of shape {images.shape}')
    codes = inference.encode(self.model, self.params, images)
    if self.model.conditional_classes:
      if labels is None:
        raise TypeError(f'a conditional run ({self.config.method}) encodes images with their '
                        'classes: encode(images, labels)')
      codes = np.asarray(self.model.apply({'params': self.params}, jnp.asarray(codes),
                                          jnp.asarray(labels), method='with_class'))
    return codes

  def codes(self, split: str) -> np.ndarray:
    """The latent means of every image of a split (cached on the run)."""
    if ('codes', split) not in self._cache:
      examples = self.split(split)
      self._cache[('codes', split)] = self.encode(examples['image'], examples['label'])
    return self._cache[('codes', split)]

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
    """(num_classes, latent_dim) unit mean code direction of each class of a split;
    of the semantic part s, (num_classes, semantic_dims), for a split latent."""
    if ('prototypes', split) not in self._cache:
      self._cache[('prototypes', split)] = sphere.class_prototypes(
          jnp.asarray(split_lib.semantic(self.codes(split), self.semantic_dims)),
          self.split(split)['label'], self.num_classes)
    return self._cache[('prototypes', split)]

  def classifier(self, field: str = 'label', arch: str = 'cnn'):
    """(classify, info) of the evaluation classifier of `field` on the run's dataset
    (arch 'mlp': the second reader): classify(images in [0, 1] or uint8) -> (labels,
    features). Trained on first use (and cached beside the datasets) unless
    train_classifiers is False."""
    from jsemrep import classifier as classifier_lib  # pylint: disable=import-outside-toplevel
    if ('classifier', field, arch) not in self._cache:
      data = self.config.data
      if self.train_classifiers:
        reader = classifier_lib.load_or_train(
            data.name, data.data_dir or None, data.manual_dir or None, field=field, arch=arch)
      else:
        reader = classifier_lib.load_cached(data.name, data.data_dir or None, field, arch)
        if reader is None:
          raise NoClassifierError(
              f'no cached classifier ({arch}) of {field} on {data.name}; train it with python -m '
              f'eval.classifier --dataset={data.name} --field={field} --arch={arch}')
      self._cache[('classifier', field, arch)] = reader
    return self._cache[('classifier', field, arch)]

  def classify(self, images: np.ndarray, field: str = 'label') -> np.ndarray:
    """The evaluation classifier's labels of images (uint8 or in [0, 1])."""
    return np.asarray(self.classifier(field)[0](images)[0])


def load_run(workdir: str, step: Optional[int] = None) -> Run:
  """The run trained in `workdir`, from its checkpoint and stored config alone.

  Args:
    workdir: the directory `python -m train.main --workdir=...` wrote.
    step: a checkpoint step (default: the latest).
  Returns:
    A `Run`. Raises jsemrep.errors.CheckpointError if there is no usable checkpoint.
  """
  config, state = checkpoint.restore_trained(workdir, step)
  return Run.of(config, state.params['vae'], int(state.step))
