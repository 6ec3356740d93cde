"""Evaluation while training (config.eval_every): a few numbers on the validation
split, logged beside the losses, so a collapse or a stalled order shows during the
run rather than after it."""

import functools

import jax
import jax.numpy as jnp
import numpy as np

from jsemrep import classifier as classifier_lib
from jsemrep import data
from jsemrep import images as images_lib
from jsemrep import inference
from jsemrep import losses
from jsemrep import models
from jsemrep import sphere
from jsemrep.metrics import interpolation

EXAMPLES = 1000   # validation examples scored (the first EXAMPLES of a fixed shuffle)


@functools.partial(jax.jit, static_argnums=(0, 1))
def _losses(model, reconstruction, params, images):
  x = images_lib.to_float(images)
  mu, logvar = model.apply({'params': params}, x, method=models.VAE.encode)
  decoded = model.apply({'params': params}, mu, method=models.VAE.decode)
  return mu, losses.reconstruction(decoded, x, reconstruction), losses.kl_divergence(mu, logvar)


class DuringTraining:
  """Scores a run's parameters on its validation split:

  - val_rec, val_kl: reconstruction (of the latent mean) and KL losses;
  - val_adjacent_angle_mean_deg, val_adjacent_angle_min_deg: angles between consecutive
    class prototypes of the validation codes (a collapsing order shrinks them);
  - val_slerp_semantic_acc, val_slerp_semantic_visits: the ordinal-interpolation study
    with one path per class pair, when the dataset's evaluation classifier is already
    cached (it is never trained here).
  """

  def __init__(self, config):
    validation = data.load_split(config, 'validation')
    keep = np.sort(np.random.default_rng(0).permutation(len(validation['label']))[:EXAMPLES])
    self.images, self.labels = validation['image'][keep], validation['label'][keep]
    self.config = config
    self.model = models.vae_from_config(config)
    self.classifier = classifier_lib.load_cached(config.data.name, config.data.data_dir or None)

  def __call__(self, params):
    config, k = self.config, self.config.data.num_classes
    mu, rec, kl = _losses(self.model, config.loss.reconstruction, params, jnp.asarray(self.images))
    prototypes = sphere.class_prototypes(mu, self.labels, k)
    angles = np.degrees(np.asarray(jax.vmap(sphere.angle)(prototypes[:-1], prototypes[1:])))
    scores = {'val_rec': rec, 'val_kl': kl, 'val_adjacent_angle_mean_deg': angles.mean(),
              'val_adjacent_angle_min_deg': angles.min()}
    if self.classifier is not None:
      clf_model, clf_params, _ = self.classifier
      decode = lambda z: inference.to_images(inference.decode(self.model, params, z),
                                             config.loss.reconstruction)
      classify = lambda images: classifier_lib.predict(clf_model, clf_params, images)[0]
      study, _ = interpolation.ordinal_study(np.asarray(mu), self.labels, prototypes, decode,
                                             classify, 3, 1, 0, bool(config.data.get('circular')))
      scores['val_slerp_semantic_acc'] = study['slerp_semantic']['accuracy']
      scores['val_slerp_semantic_visits'] = study['slerp_semantic']['visits']
    return {name: float(value) for name, value in scores.items()}
