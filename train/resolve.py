"""From the command line's ConfigDict to the run's RunSpec, once: `validate` (pure,
before anything is loaded or written), `complete` (with the facts of the data) and the
refusals that need the data or the devices. Below this module nothing reads the
ConfigDict; jsemrep.spec.resume_changes compares a stored run with the resolved one."""

import dataclasses
import math
import re
from typing import Optional, Tuple

import numpy as np

from jsemrep import data
from jsemrep import losses
from jsemrep import methods
from jsemrep import models
from jsemrep import pairing
from jsemrep import spec as spec_lib
from jsemrep.data import builders
from jsemrep.data import folder
from jsemrep.errors import ConfigError
from train import feed

SWEEP_MODES = ('sequential', 'vmap')


def _get(config, key):
  for part in key.split('.'):
    config = config[part]
  return config


def _require(config, key, ok, allowed):
  value = _get(config, key)
  try:
    good = ok(value)
  except TypeError:
    good = False
  if not good:
    raise ConfigError(f'config {key}={value!r} is not allowed: {allowed}')


def _positive_int(v):
  return isinstance(v, int) and not isinstance(v, bool) and v > 0


def _positive_ints(v):
  return len(v) > 0 and all(_positive_int(x) for x in v)


def _one_of(names):
  return (lambda v: v in names), f'one of {", ".join(sorted(names))}'


def validate(config):
  """Raises ConfigError (naming the key, the value and what is allowed) for the first
  value of one run's config that training cannot use; pure, so nothing is written."""
  checks = [
      ('method', *_one_of(methods.PRESETS)),
      ('data.name', *_one_of(builders.BUILDERS)),
      ('atn.neighbor', *_one_of(losses.NEIGHBORS)),
      ('atn.margin_mode', *_one_of(losses.MARGIN_MODES)),
      ('loss.reconstruction', *_one_of(losses.RECONSTRUCTIONS)),
      ('model.upsampling', *_one_of(models.UPSAMPLINGS)),
      ('model.downsampling', *_one_of(models.DOWNSAMPLINGS)),
      ('model.dtype', *_one_of(models.DTYPES)),
      ('data.placement', *_one_of(feed.PLACEMENTS)),
      ('model.image_shape', lambda v: v is None or (len(v) == 3 and _positive_ints(v)),
       'unset (the data\'s shape) or (height, width, channels)'),
      ('batch_size', _positive_int, 'a positive integer'),
      ('num_steps', _positive_int, 'a positive integer'),
      ('log_every', _positive_int, 'a positive integer'),
      ('checkpoint_every', _positive_int, 'a positive integer'),
      ('keep_checkpoints', _positive_int, 'a positive integer (checkpoints kept)'),
      ('num_devices', lambda v: isinstance(v, int) and v >= 0, '0 (every device) or a positive '
       'integer'),
      ('seed', lambda v: isinstance(v, int) and 0 <= v <= spec_lib.MAX_SEED,
       f'an integer from 0 to {spec_lib.MAX_SEED}'),
      ('critic.b1', lambda v: 0 <= v < 1, 'in [0, 1) (Adam\'s first-moment decay)'),
      ('model.latent_dim', _positive_int, 'a positive integer'),
      ('model.channels', _positive_ints, 'a tuple of positive integers'),
      ('model.hidden', _positive_ints, 'a tuple of positive integers'),
      ('learning_rate', lambda v: v > 0 and math.isfinite(v), 'a positive number'),
      ('critic.learning_rate', lambda v: v > 0 and math.isfinite(v), 'a positive number'),
      ('atn.margin', lambda v: 0 < v <= math.pi, 'an angle in (0, pi] radians'),
      ('atn.triplets_per_anchor', _positive_int, 'a positive integer'),
      ('triplet.margin', lambda v: 0 < v <= 4, 'in (0, 4] (squared distance of unit codes)'),
      ('acai.gamma', lambda v: 0 <= v <= 1, 'in [0, 1]'),
      ('stop_on_collapse', lambda v: 0 <= v < 1, 'in [0, 1) (0: off)'),
      ('sweep_mode', *_one_of(SWEEP_MODES)),
      ('eval_every', lambda v: isinstance(v, int) and v >= 0 and v % config.log_every == 0,
       f'0 (off) or a multiple of log_every={config.log_every} (it is logged with the losses)'),
  ]
  for key, ok, allowed in checks:
    _require(config, key, ok, allowed)
  latent_dim = config.model.latent_dim
  _require(config, 'model.semantic_dims',
           lambda v: isinstance(v, int) and 0 <= v < latent_dim,
           f'0 (a single latent) or an integer below model.latent_dim={latent_dim} (the '
           'semantic part s; the rest c must not be empty)')
  preset = methods.method(config.method)
  if preset.split and not config.model.semantic_dims:
    raise ConfigError(f'method {config.method} splits the latent into a semantic part and the '
                      'rest: set --config.model.semantic_dims (e.g. 16 of latent_dim 64)')
  if config.eval_every and config.evals:
    from jsemrep import evaluators  # pylint: disable=import-outside-toplevel
    for name in config.evals.split(','):
      if name.strip() not in evaluators.registry():
        raise ConfigError(f'config evals={config.evals!r} is not allowed: no evaluator '
                          f'{name.strip()!r} (known: {", ".join(sorted(evaluators.registry()))})')
  _validate_data(config)
  for name, weight in config.loss.weights.items():
    if weight is not None:
      _require(config, f'loss.weights.{name}', lambda v: v >= 0 and math.isfinite(v),
               'a non-negative number (or unset: the method default)')
  methods.effective_weights(config.method, dict(config.loss.weights))


def folder_options(config):
  """The FolderOptions of a config's data (None for the datasets other than folder)."""
  return data.options_of(config.data)


def _validate_data(config):
  """The folder dataset's options, and its class order (its folders are listed: a
  non-numeric name without data.classes is refused before anything is written)."""
  d = config.data
  if d.name != 'folder':
    for key, unset in (('classes', ''), ('circular', False), ('identity', ''),
                       ('image_size', None)):
      if d[key] != unset:
        raise ConfigError(f'config data.{key}={d[key]!r} is not allowed: it describes the '
                          f'folder dataset (--config.data.name=folder); {d.name} sets its own')
    return
  if not d.manual_dir:
    raise ConfigError('config data.name=folder needs --config.data.manual_dir=DIR, a directory '
                      'of one folder per class')
  _require(config, 'data.image_size', lambda v: v is None or (len(v) == 2 and _positive_ints(v)),
           'unset (the images\' own size) or H,W')
  if d.identity:
    try:
      groups = re.compile(d.identity).groups
    except re.error as e:
      raise ConfigError(f'config data.identity={d.identity!r} is not allowed: not a regular '
                        f'expression ({e})') from None
    if groups != 1:
      raise ConfigError(f'config data.identity={d.identity!r} is not allowed: it needs exactly '
                        f'one group (the identity), it has {groups}')
  folder.class_folders(d.manual_dir, folder_options(config).classes)


@dataclasses.dataclass(frozen=True)
class DataFacts:
  """What the training split decides: the model's input shape and the classes."""
  image_shape: Tuple[int, ...]
  num_classes: int
  circular: bool
  num_examples: int
  identity: Optional[np.ndarray] = dataclasses.field(default=None, compare=False)


def data_facts(data_config, train):
  """The facts of a training split (the folder dataset's ring is the config's)."""
  circular = (bool(data_config.circular) if data_config.name == 'folder'
              else data.circular_labels(data_config.name))
  return DataFacts(tuple(int(d) for d in train['image'].shape[1:]),
                   data.num_classes(train['label']), circular, len(train['label']),
                   train.get('identity'))


def complete(config, facts):
  """The RunSpec of a validated config on data with these facts: the image shape and
  classes from the data (an explicit image shape must be the data's), every loss
  weight the method computes."""
  given = config.model.image_shape
  if given is not None and tuple(given) != facts.image_shape:
    raise ConfigError(f'config model.image_shape={tuple(given)} is not allowed: the images of '
                      f'{config.data.name} are {facts.image_shape}, and the model takes the '
                      "data's shape (leave --config.model.image_shape out)")
  levels = 2 ** len(config.model.channels)
  if any(side % levels for side in facts.image_shape[:2]):
    raise ConfigError(f'the model takes images whose sides are multiples of {levels} (its '
                      f'{len(config.model.channels)} stride-2 levels: 32, 64, 128 ...); '
                      f'{config.data.name} has {facts.image_shape[0]}x{facts.image_shape[1]}: '
                      'resize them (--config.data.image_size=H,W for the folder dataset)')
  d, m = config.data, config.model
  options = folder_options(config)
  return spec_lib.RunSpec(
      method=config.method,
      data=spec_lib.DataSpec(d.name, d.data_dir, d.manual_dir, d.placement, facts.num_classes,
                             facts.circular, *(dataclasses.astuple(options) if options else ())),
      model=spec_lib.ModelSpec(facts.image_shape, m.latent_dim, m.semantic_dims,
                               tuple(m.channels), tuple(m.hidden), m.upsampling, m.downsampling,
                               m.dtype),
      loss=spec_lib.LossSpec(config.loss.reconstruction,
                             methods.effective_weights(config.method, dict(config.loss.weights))),
      atn=spec_lib.AtnSpec(float(config.atn.margin), config.atn.neighbor,
                           config.atn.margin_mode, config.atn.triplets_per_anchor),
      triplet=spec_lib.TripletSpec(float(config.triplet.margin)),
      acai=spec_lib.AcaiSpec(float(config.acai.gamma)),
      critic=spec_lib.CriticSpec(float(config.critic.learning_rate), float(config.critic.b1)),
      seed=config.seed, batch_size=config.batch_size, learning_rate=float(config.learning_rate),
      num_steps=config.num_steps, num_devices=config.num_devices, log_every=config.log_every,
      checkpoint_every=config.checkpoint_every, keep_checkpoints=config.keep_checkpoints,
      eval_every=config.eval_every, evals=config.evals,
      stop_on_collapse=float(config.stop_on_collapse))


def check_group(specs, facts, stacked, steps=()):
  """Refuses runs the data cannot train, or that cannot be stepped together (stacked
  runs whose latest checkpoints, `steps`, differ); returns the notes to print."""
  spec = specs[0]
  if stacked and len(set(steps)) > 1:
    raise ConfigError(f'the variants stepped together are at different steps ({list(steps)}); '
                      'resume them with --config.sweep_mode=sequential')
  if spec.batch_size > facts.num_examples:
    raise ConfigError(f'config batch_size={spec.batch_size} is not allowed: it exceeds the '
                      f'{facts.num_examples} training examples of {spec.data.name}')
  if stacked and spec.data.placement == 'host' and len({s.seed for s in specs}) > 1:
    raise ConfigError('config data.placement=host gathers one batch order on the host: a vmap '
                      'sweep over seeds needs data.placement=device or sharded (or '
                      'sweep_mode=sequential)')
  if methods.method(spec.method).paired:
    _check_pairs(spec, facts)
  for s in specs:
    if (s.loss.weight('atn') > 0 and s.atn.margin_mode == 'constant'
        and losses.constant_margin_unmet(s.atn.margin, s.data.num_classes, s.atn.neighbor)):
      k = s.data.num_classes
      return [f'note: atn.margin={s.atn.margin} cannot be met by the ordinal rule over {k} '
              f'classes ({k - 1} x {s.atn.margin} > pi): the hinge never switches off. The '
              'constant margin is the default all the same (no graded margin did better on '
              'mnist5k\'s validation split, docs/choices.md); --config.atn.margin_mode=graded '
              'can be met']
  return []


def _check_pairs(spec, facts):
  identity = facts.identity
  if identity is None or not np.any(np.asarray(identity) >= 0):
    raise ConfigError(f'method {spec.method} cross-reconstructs pairs of one identity at two '
                      f'classes, and {spec.data.name} records no identity per example (datasets '
                      'that do: rotated_mnist5k, synthetic_heads, multi_pie with Multi-PIE file '
                      'names)')
  if spec.data.placement == 'host':
    raise ConfigError(f'method {spec.method} draws its pairs inside the step: it needs '
                      'data.placement=device or sharded')


def paired_data(spec, train):
  """(identity row of every example, identity x class index table) of the training
  split, for a method that cross-reconstructs."""
  rows, table = pairing.index_table(train['identity'], train['label'], spec.data.num_classes)
  if not np.any(np.sum(table >= 0, axis=1) > 1):
    raise ConfigError(f'method {spec.method}: no identity of {spec.data.name} appears at '
                      'two classes, so there is nothing to cross-reconstruct')
  return rows, table
