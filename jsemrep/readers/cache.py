"""Where the evaluation readers are stored: each reader (the CNN that labels decoded
images and gives the features of FID, precision and recall in its feature space; the
MLP second reader; a reader of another field) and the readers' autoencoder of a dataset
are trained once per version of the dataset and of the readers, cached beside the
datasets under a lock, and read back checked against the digests saved with them
(docs/evaluation.md)."""

import json
import os
import time

import jax
import jax.numpy as jnp
import numpy as np
import orbax.checkpoint as ocp

from jsemrep import checkpoint
from jsemrep import data
from jsemrep import errors
from jsemrep import files
from jsemrep import models
from jsemrep.readers import autoencoder as autoencoder_lib
from jsemrep.readers import classifier
from jsemrep.readers import identity
from jsemrep.readers.classifier import ARCHITECTURES, MAX_EPOCHS, Reader, train_classifier
from jsemrep.data import pipeline
from jsemrep.errors import DataError


def _root(data_dir):
  return os.path.abspath(os.environ.get('JSEMREP_CLASSIFIER_DIR') or os.path.join(
      os.path.dirname(pipeline.data_dir_or_default(data_dir)), 'classifiers'))


def classifier_dir(dataset, data_dir=None, field='label', arch='cnn', options=None):
  """Where the classifier of `field` on `dataset` is cached: classifiers/DATASET for
  the label, classifiers/DATASET-FIELD for another field (e.g. rotated digits' class),
  with -ARCH appended for an architecture other than the CNN."""
  dataset = data.cache_name(dataset, options)
  name = dataset if field == 'label' else f'{dataset}-{field}'
  return os.path.join(_root(data_dir), name if arch == 'cnn' else f'{name}-{arch}')


def autoencoder_dir(dataset, data_dir=None, options=None):
  """Where the readers' autoencoder of `dataset` is cached (every reader of it shares it)."""
  return os.path.join(_root(data_dir), f'{data.cache_name(dataset, options)}-reader-autoencoder')


# The readers' version, "readers v5" in every table. 2: per-image augmentation, trained
# until validation stops improving; 3: and reconstructions of a reader-owned autoencoder;
# 4: every image read through that autoencoder (docs/choices.md); 5: that autoencoder
# trained for at least MIN_STEPS steps.
VERSION = 5

# Each reader's model widths: keyword arguments of its model beyond the data's facts.
# They are stored with the reader, which is rebuilt as stored (a reader stored without
# them has its model's defaults, these).
WIDTHS = {'cnn': {'channels': (32, 64), 'features': 128}, 'mlp': {'hidden': (512, 256)},
          'autoencoder': {'latent_dim': 64, 'channels': (32, 64, 128), 'hidden': (512, 256)}}


def _stored_widths(info):
  """The widths stored in a reader's info (JSON lists back to tuples)."""
  return {k: tuple(v) if isinstance(v, list) else v for k, v in info.get('widths', {}).items()}


def save(directory, params, info):
  """Saves a reader: its params, then its info.json with the params' digests
  (atomically, last: a reader whose info.json reads back is whole, and its params are
  checked against the digests when read, as a run's checkpoints are)."""
  os.makedirs(directory, exist_ok=True)
  with ocp.StandardCheckpointer() as ckpt:
    ckpt.save(os.path.join(os.path.abspath(directory), 'params'), params, force=True)
  files.write_json(os.path.join(directory, 'info.json'),
                   {**info, 'digests': checkpoint.digests(params)}, indent=2)


def _stored_info(directory):
  """The stored reader's info, or None where there is none or it does not read back
  (a damaged cache is trained again)."""
  path = os.path.join(directory, 'info.json')
  try:
    with open(path, encoding='utf-8') as f:
      info = json.load(f)
  except (OSError, ValueError):
    return None
  return info if isinstance(info, dict) else None


def _writable(directory):
  """DataError before any training where the reader could not be stored."""
  try:
    os.makedirs(directory, exist_ok=True)
  except OSError:
    pass
  if not os.access(directory, os.W_OK):
    raise DataError(f'the readers\' cache {directory} is not writable, and the reader it needs '
                    'is not stored there: set JSEMREP_CLASSIFIER_DIR to a writable directory '
                    '(or make this one writable)')


def _current(info, dataset):
  """Whether a stored classifier is of this dataset version and classifier version."""
  return (info is not None and info.get('data_version') == data.version(dataset)
          and info.get('classifier_version') == VERSION)


def _restore_params(directory, init):
  """The stored params, checked against the digests saved with them (a reader stored
  before digests were saved has none to check)."""
  abstract = jax.eval_shape(init)
  expected = (_stored_info(directory) or {}).get('digests')
  try:
    with ocp.StandardCheckpointer() as ckpt:
      params = ckpt.restore(os.path.join(os.path.abspath(directory), 'params'), abstract)
    if expected is not None and checkpoint.digests(params) != expected:
      raise ValueError('its arrays do not match the digests saved with them')
  except Exception as e:  # pylint: disable=broad-except
    raise DataError(f'the reader stored in {directory} is damaged ({errors.one_line(e)}): delete '
                    'that directory and it is trained again') from e
  return params


def load_or_train_autoencoder(dataset, data_dir=None, manual_dir=None, options=None):
  """(model, params) of the readers' autoencoder of `dataset`, trained on its training
  images first if none is stored for this version of the dataset and of the readers."""
  directory = autoencoder_dir(dataset, data_dir, options)
  with files.locked(directory + '.lock'):   # another process training it: wait, then reuse
    if not _current(_stored_info(directory), dataset):
      _train_autoencoder(directory, dataset, data_dir, manual_dir, options)
  info = _stored_info(directory)
  model = models.VAE(image_shape=tuple(info['image_shape']), **_stored_widths(info))
  return model, _restore_params(directory, lambda: models.init_vae(model, jax.random.PRNGKey(0)))


def _train_autoencoder(directory, dataset, data_dir, manual_dir, options):
  """Trains and stores the readers' autoencoder of `dataset` in `directory`."""
  _writable(directory)
  images = data.load(dataset, 'train', data_dir, manual_dir, options)['image']
  print(f'training the readers\' autoencoder of {dataset}', flush=True)
  start = time.perf_counter()
  widths = WIDTHS['autoencoder']
  _, params = autoencoder_lib.train(images, widths=widths)
  save(directory, params, {'dataset': dataset, 'data_version': data.version(dataset),
                           'classifier_version': VERSION, 'widths': widths,
                           'epochs': autoencoder_lib.EPOCHS,
                           'steps': autoencoder_lib.num_steps(len(images)),
                           'seconds': round(time.perf_counter() - start),
                           'image_shape': list(images.shape[1:])})


def load_or_train(dataset, data_dir=None, manual_dir=None, epochs=MAX_EPOCHS, field='label',
                  arch='cnn', options=None):
  """(reader, info) of a reader predicting `field` (default: the label, the evaluation
  classifier) from the dataset's images, training it on the train split first (at
  most `epochs` epochs, stopped on validation) if none is stored for this version of
  the dataset and of the classifier; reader (a classifier.Reader): uint8 or [0, 1]
  images -> (labels, features), every image read through the readers' autoencoder. arch: 'cnn' (the
  evaluation classifier) or 'mlp' (the second reader)."""
  directory = classifier_dir(dataset, data_dir, field, arch, options)
  with files.locked(directory + '.lock'):   # another process training it: wait, then reuse
    if not _current(_stored_info(directory), dataset):
      _train_reader(directory, dataset, data_dir, manual_dir, epochs, field, arch, options)
  return _restore(directory, dataset, data_dir, manual_dir, options)


def _train_reader(directory, dataset, data_dir, manual_dir, epochs, field, arch, options):
  """Trains and stores a reader of `field` on `dataset` in `directory`."""
  _writable(directory)
  splits = {s: data.load(dataset, s, data_dir, manual_dir, options)
            for s in ('train', 'validation', 'test')}
  if field not in splits['train']:
    raise DataError(f'{dataset} has no field {field!r} (fields: '
                    f'{", ".join(sorted(splits["train"]))})')
  score, objective, draw = classifier.accuracy, 'softmax', None
  if field == identity.FIELD:   # read by its features: validated and tested on other identities
    labels, _ = identity.training_labels(splits['train'][field])
    splits = {name: {'image': s['image'], 'label': labels if name == 'train' else s[field],
                     'identity': s[field], 'view': s['label']} for name, s in splits.items()}
    score, objective, draw = identity.identified_across_views, 'triplet', (
        identity.identity_batches(labels))
    k = 1   # its output layer is not trained: it is read by its features
  else:
    splits = {name: {'image': s['image'], 'label': s[field].astype(np.int32)}
              for name, s in splits.items()}
    k = data.num_classes(splits['train']['label'])
  autoencoder = load_or_train_autoencoder(dataset, data_dir, manual_dir, options)
  print(f'training a classifier ({arch}) of {field} on {dataset}', flush=True)
  widths = WIDTHS[arch]
  _, params, info = train_classifier(splits['train'], splits['validation'], splits['test'], k,
                                     epochs, arch=arch, autoencoder=autoencoder, widths=widths,
                                     score=score, objective=objective, draw=draw)
  save(directory, params, {'dataset': dataset, 'field': field, 'arch': arch, 'data_version':
                           data.version(dataset), 'classifier_version': VERSION, 'widths': widths,
                           'num_classes': k, 'measure': score.__name__, **info,
                           'image_shape': list(splits['train']['image'].shape[1:])})


def load_cached(dataset, data_dir=None, field='label', arch='cnn', options=None):
  """(reader, info) of the stored reader for this version of the dataset, or None when
  there is none (nothing is trained)."""
  directory = classifier_dir(dataset, data_dir, field, arch, options)
  if not (_current(_stored_info(directory), dataset)
          and _current(_stored_info(autoencoder_dir(dataset, data_dir, options)), dataset)):
    return None
  return _restore(directory, dataset, data_dir, None, options)


def _restore(directory, dataset, data_dir=None, manual_dir=None, options=None):
  info = _stored_info(directory)
  model = ARCHITECTURES[info['arch']](info['num_classes'], **_stored_widths(info))
  params = _restore_params(directory, lambda: model.init(
      jax.random.PRNGKey(0), jnp.zeros((1, *info['image_shape'])))['params'])
  autoencoder = load_or_train_autoencoder(dataset, data_dir, manual_dir, options)
  return Reader(model, params, autoencoder), info
