"""What the training program checks before it loads data, compiles or writes anything:
every config value, and that a resumed run is the run stored in the workdir."""

import math

from jsemrep import hparams
from jsemrep import losses
from jsemrep import methods
from jsemrep import models
from jsemrep.data import builders
from jsemrep.errors import ConfigError
from train import feed

SWEEP_MODES = ('sequential', 'vmap')

# Keys whose change makes a different run: resuming with another value is refused.
STRUCTURAL_KEYS = ('method', 'data.name', 'model.latent_dim', 'model.channels', 'model.hidden',
                   'model.upsampling', 'model.downsampling', 'loss.reconstruction',
                   'atn.neighbor', 'seed', 'model.semantic_dims')
# Keys a resume may change without a word: where things are, and what the data decides.
UNRECORDED_KEYS = ('data.data_dir', 'data.manual_dir', 'data.num_classes', 'data.circular',
                   'model.image_shape', 'sweep', 'sweep_mode')


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
  value that training cannot use; pure, so nothing is written."""
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
      ('batch_size', _positive_int, 'a positive integer'),
      ('num_steps', _positive_int, 'a positive integer'),
      ('log_every', _positive_int, 'a positive integer'),
      ('checkpoint_every', _positive_int, 'a positive integer'),
      ('keep_checkpoints', _positive_int, 'a positive integer (checkpoints kept)'),
      ('num_devices', lambda v: isinstance(v, int) and v >= 0, '0 (every device) or a positive '
       'integer'),
      ('seed', lambda v: isinstance(v, int) and 0 <= v <= hparams.MAX_SEED,
       f'an integer from 0 to {hparams.MAX_SEED}'),
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
  preset = methods.method(config)
  if (preset.paired or preset.conditional) and not config.model.semantic_dims:
    raise ConfigError(f'method {config.method} splits the latent into a semantic part and the '
                      'rest: set --config.model.semantic_dims (e.g. 16 of latent_dim 64)')
  if config.get('eval_every') and config.get('evals'):
    from jsemrep import evaluators  # pylint: disable=import-outside-toplevel
    for name in config.evals.split(','):
      if name.strip() not in evaluators.registry():
        raise ConfigError(f'config evals={config.evals!r} is not allowed: no evaluator '
                          f'{name.strip()!r} (known: {", ".join(sorted(evaluators.registry()))})')
  for name, weight in config.loss.weights.items():
    if weight is not None:
      _require(config, f'loss.weights.{name}', lambda v: v >= 0 and math.isfinite(v),
               'a non-negative number (or unset: the method default)')
  if config.get('sweep'):
    for overrides in hparams.parse(config.sweep):
      validate(hparams.apply(config, overrides))


def _stored(config, key):
  """The value at key, or None where an older run's config lacks it."""
  try:
    return _get(config, key)
  except (KeyError, AttributeError):
    return None


def check_resume(stored, requested, workdir):
  """Refuses to resume the run stored in workdir with a structurally different config
  (keys an older run did not store are not compared)."""
  changed = [(key, _stored(stored, key), _get(requested, key)) for key in STRUCTURAL_KEYS
             if _stored(stored, key) is not None
             and _normal(_stored(stored, key)) != _normal(_get(requested, key))]
  if changed:
    what = ', '.join(f'{key}={old!r} -> {new!r}' for key, old, new in changed)
    raise ConfigError(f'{workdir} holds a run with another setup ({what}); resuming would mix '
                      'two runs: start the new one with another --workdir (or delete '
                      f'{workdir}/checkpoints to discard the old one)')


def _normal(value):
  return tuple(value) if isinstance(value, (list, tuple)) else value


def _leaves(config, prefix=''):
  out = {}
  for key, value in config.items():
    if hasattr(value, 'items'):
      out.update(_leaves(value, f'{prefix}{key}.'))
    else:
      out[prefix + key] = _normal(value)
  return out


def resume_changes(stored, requested):
  """[(key, stored value, requested value)] of the non-structural settings a resume
  changes (learning rate, weights, margins, schedule ...): said and recorded, not
  refused. Keys an older run did not store are not compared."""
  old, new = _leaves(stored), _leaves(requested)
  return [(key, old[key], new[key]) for key in sorted(old.keys() & new.keys())
          if key not in STRUCTURAL_KEYS and key not in UNRECORDED_KEYS
          and old[key] != new[key] and not (old[key] is None or new[key] is None)]
