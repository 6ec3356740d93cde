"""A restored training run: the one type that notebooks, the evaluators and evaluation
while training share (`run = jsemrep.load_run(workdir)`)."""

import dataclasses
import functools
import os
from typing import Any, Optional

import jax
import jax.numpy as jnp
import numpy as np

from jsemrep import checkpoint
from jsemrep import inference
from jsemrep import methods
from jsemrep import models
from jsemrep import train_state
from jsemrep import split as split_lib
from jsemrep import sphere
from jsemrep.errors import CheckpointError, JsemrepError


class NoClassifierError(JsemrepError):
  """The run may not train an evaluation classifier and none is cached."""


@functools.lru_cache(maxsize=16)
def _split(name, split, data_dir, manual_dir, options):
  from jsemrep import data  # pylint: disable=import-outside-toplevel
  return data.load(name, split, data_dir, manual_dir, options)


@dataclasses.dataclass(frozen=True)
class Run:
  """A run's stored spec, the Flax model and its parameters.

  Attributes:
    spec: the jsemrep.spec.RunSpec stored with the checkpoint (`spec.model.latent_dim`,
      `spec.data.name`, ...: the training config's paths, resolved).
    model: the VAE (a flax.linen module, used through `apply`).
    params: the VAE's parameters, a plain pytree.
    step: the checkpoint's training step.
    train_classifiers: whether `classifier` may train an evaluation classifier that
      is not cached yet (False while training: it raises NoClassifierError instead).
  """
  spec: Any
  model: Any
  params: Any
  step: int
  train_classifiers: bool = True
  _cache: dict = dataclasses.field(default_factory=dict, compare=False, repr=False)

  @classmethod
  def of(cls, spec, params, step, model=None, **kwargs) -> 'Run':
    """A Run of parameters in hand (evaluation while training)."""
    if model is None:
      model = models.vae_from_spec(spec, methods.method(spec.method).conditional)
    return cls(spec, model, params, int(step), **kwargs)

  @property
  def num_classes(self) -> int:
    return int(self.spec.data.num_classes)

  @property
  def circular(self) -> bool:
    """Whether the classes form a ring (angle bins): paths and edits go the short way."""
    return bool(self.spec.data.circular)

  @property
  def folder_options(self):
    """The FolderOptions of a run on your own class folders (None for other datasets)."""
    from jsemrep.data import pipeline  # pylint: disable=import-outside-toplevel
    return pipeline.options_of(self.spec.data)

  @property
  def semantic_dims(self) -> int:
    """D of a split latent (the semantic part s = z[:, :D]); 0: a single latent."""
    return self.spec.model.semantic_dims

  def split(self, name: str) -> dict:
    """A split of the run's dataset as numpy arrays (cached in the process)."""
    data = self.spec.data
    return _split(data.name, name, data.data_dir or None, data.manual_dir or None,
                  self.folder_options)

  def encode(self, images: np.ndarray, labels: Optional[np.ndarray] = None) -> np.ndarray:
    """Latent means of uint8 images.

    Args:
      images: (N, H, W, C) uint8 images of the run's image shape.
      labels: (N,) their classes; needed by a conditional run (cvae), whose code
        holds the class embedding in place of s; ignored by the others.
    Returns:
      (N, latent_dim) float32 codes.
    """
    expected = tuple(self.spec.model.image_shape)
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.shape[1:] != expected:
      raise TypeError(f'encode takes uint8 images of shape (N, {", ".join(map(str, expected))}); '
                      f'got {images.dtype} of shape {images.shape}')
    codes = inference.encode(self.model, self.params, images)
    if self.model.conditional_classes:
      if labels is None:
        raise TypeError(f'a conditional run ({self.spec.method}) encodes images with their '
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
    if codes.shape[-1:] != (self.spec.model.latent_dim,):
      raise TypeError(f'decode takes codes of shape (..., {self.spec.model.latent_dim}); '
                      f'got {codes.shape}')
    if not np.all(np.isfinite(codes)):
      bad = int(np.sum(~np.all(np.isfinite(codes), axis=-1)))
      raise ValueError(f'decode takes finite codes; {bad} of them hold NaN or inf')
    return inference.to_images(inference.decode(self.model, self.params, codes, chunk),
                               self.spec.loss.reconstruction)

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
    (arch 'mlp': the second reader): classify (a readers.Reader)(images in [0, 1] or
    uint8) -> (labels, features). Trained on first use (and cached beside the datasets) unless
    train_classifiers is False."""
    from jsemrep import readers  # pylint: disable=import-outside-toplevel
    if ('classifier', field, arch) not in self._cache:
      data = self.spec.data
      if self.train_classifiers:
        reader = readers.load_or_train(
            data.name, data.data_dir or None, data.manual_dir or None, field=field, arch=arch,
            options=self.folder_options)
      else:
        reader = readers.load_cached(data.name, data.data_dir or None, field, arch,
                                            self.folder_options)
        if reader is None:
          raise NoClassifierError(
              f'no cached classifier ({arch}) of {field} on {data.name}; train it with python -m '
              f'eval.classifier --dataset={data.name} --field={field} --arch={arch}')
      self._cache[('classifier', field, arch)] = reader
    return self._cache[('classifier', field, arch)]

  def classify(self, images: np.ndarray, field: str = 'label') -> np.ndarray:
    """The evaluation classifier's labels of images (uint8 or in [0, 1])."""
    return np.asarray(self.classifier(field)[0](images)[0])


ROTATION_RETRIES = 2


def restore_trained(workdir, step=None):
  """(spec, state) of a trained run, rebuilt from the checkpoint's stored spec alone:
  no training config file is needed. Never writes into workdir."""
  spec = checkpoint.read_spec(workdir, step)
  if spec is None:
    if os.path.exists(os.path.join(workdir, 'sweep.json')):
      raise CheckpointError(f'{workdir} is the directory of a sweep, not of one run: give one of '
                            f'its runs (listed in {os.path.join(workdir, "sweep.json")}), e.g. '
                            f'--workdir={os.path.join(workdir, "VARIANT")}')
    raise checkpoint.no_checkpoint(workdir)
  bound = methods.bind([spec])
  # The target carries this process's placement, so a checkpoint saved on any number
  # of devices restores here (Orbax refuses a target without shardings on another topology).
  device = jax.sharding.SingleDeviceSharding(jax.devices()[0])
  abstract = jax.tree.map(
      lambda x: jax.ShapeDtypeStruct(x.shape, x.dtype, sharding=device),
      jax.eval_shape(lambda: train_state.create_train_state(bound, spec, jax.random.PRNGKey(0))))
  for attempt in range(ROTATION_RETRIES + 1):
    mngr = checkpoint.manager(workdir, read_only=True)
    newest = mngr.latest_step()
    try:
      _, state = checkpoint.restore_good(mngr, workdir, abstract, step)
      return spec, bound, state
    except CheckpointError:
      # A trainer still running may have rotated the newest step away while it was read:
      # that is no damage; read the newest again.
      if step is not None or attempt == ROTATION_RETRIES or newest in checkpoint.steps(workdir):
        raise
    finally:
      mngr.close()


def load_run(workdir: str, step: Optional[int] = None) -> Run:
  """The run trained in `workdir`, from its checkpoint and stored spec alone.

  Args:
    workdir: the directory `python -m train.main --workdir=...` wrote.
    step: a checkpoint step (default: the latest).
  Returns:
    A `Run`. Raises jsemrep.errors.CheckpointError if there is no usable checkpoint.
  """
  spec, bound, state = restore_trained(workdir, step)
  return Run.of(spec, state.params['vae'], int(state.step), model=bound.model)
