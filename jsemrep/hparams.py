"""The numeric knobs a training step reads, carried as data (a traced pytree), and
sweeps over them.

Loss weights, the ATN and triplet margins, ACAI's gamma and the seed are passed to
the jitted step as arrays, so one compiled step serves every value of them: the
variants of a sweep share one compile. Structural choices (method, neighbour rule,
architecture, dataset) stay static config.

A sweep is a product of values, written as in
`--config.sweep='atn.margin=0.9,1.2 seed=0,1'` (4 variants).
"""

import itertools
import math
import re
from typing import Any, Dict, List

import jax.numpy as jnp
import ml_collections

from jsemrep.errors import ConfigError

MAX_SEED = 2 ** 31 - 1   # seeds travel as int32 knobs
SWEEPABLE = ('seed', 'atn.margin', 'triplet.margin', 'acai.gamma')
WEIGHT_PREFIX = 'loss.weights.'


def of_config(config, weights: Dict[str, float]) -> Dict[str, Any]:
  """{knob: array} of a config: the SWEEPABLE values and `loss.weights.NAME` of
  every term the step computes (`weights`: {term: weight}, 0 for a term kept in the
  graph for a sweep)."""
  values = {'seed': jnp.asarray(config.seed, jnp.int32)}
  values.update({key: jnp.asarray(_get(config, key), jnp.float32) for key in SWEEPABLE[1:]})
  values.update({WEIGHT_PREFIX + name: jnp.asarray(w, jnp.float32) for name, w in weights.items()})
  return values


def _get(config, key):
  for part in key.split('.'):
    config = config[part]
  return config


class Overlay:
  """A read-only view of a config in which the knobs in `values` (dotted keys) read
  as the given (traced) arrays and everything else as the config's own values:
  what the loss terms see inside the step."""

  def __init__(self, config, values, prefix=''):
    self._config, self._values, self._prefix = config, values, prefix

  def __getattr__(self, name):
    if name.startswith('_'):
      raise AttributeError(name)
    key = self._prefix + name
    if key in self._values:
      return self._values[key]
    value = getattr(self._config, name)
    if isinstance(value, ml_collections.ConfigDict):
      return Overlay(value, self._values, key + '.')
    return value

  __getitem__ = __getattr__

  def get(self, name, default=None):
    try:
      return getattr(self, name)
    except (AttributeError, KeyError):
      return default


def _parse_value(key, text):
  try:
    if key == 'seed':
      value = int(text)
      if not 0 <= value <= MAX_SEED:
        raise ValueError
      return value
    value = float(text)
    if not math.isfinite(value):
      raise ValueError
    return value
  except ValueError:
    kind = f'an integer from 0 to {MAX_SEED}' if key == 'seed' else 'a finite number'
    raise ConfigError(f'config sweep: {key}={text!r} is not {kind}') from None


def parse(text: str) -> List[Dict[str, Any]]:
  """The variants of a sweep string, in product order (the first key varies slowest).

  'atn.margin=0.9,1.2 seed=0,1' -> [{'atn.margin': 0.9, 'seed': 0}, {..0.9, 1},
  {..1.2, 0}, {..1.2, 1}]. Keys: SWEEPABLE or loss.weights.NAME, each once.
  """
  axes = []
  for part in text.split():
    match = re.fullmatch(r'([A-Za-z_][\w.]*)=([^=]+)', part)
    if not match:
      raise ConfigError(f'config sweep: {part!r} is not KEY=VALUE[,VALUE...] '
                        "(e.g. --config.sweep='atn.margin=0.9,1.2 seed=0,1')")
    key, values = match.groups()
    if key not in SWEEPABLE and not key.startswith(WEIGHT_PREFIX):
      raise ConfigError(f'config sweep: {key} cannot be swept in one compiled step; sweepable: '
                        f'{", ".join(SWEEPABLE)}, {WEIGHT_PREFIX}NAME')
    if key in (k for k, _ in axes):
      raise ConfigError(f'config sweep: {key} is given twice')
    parsed = [_parse_value(key, v) for v in values.split(',') if v]
    if len(set(parsed)) != len(parsed):
      raise ConfigError(f'config sweep: {key} repeats a value ({values})')
    axes.append((key, parsed))
  if not axes:
    raise ConfigError('config sweep is empty')
  keys = [k for k, _ in axes]
  return [dict(zip(keys, combo)) for combo in itertools.product(*(v for _, v in axes))]


def variant_name(overrides: Dict[str, Any]) -> str:
  """A variant's run directory below the sweep's: 'atn.margin=0.9/seed1', 'seed1',
  'loss.weights.kl=0.001'; a swept seed is the last component, so eval.report
  groups a setting's seeds into one row."""
  setting = ','.join(f'{k}={v:g}' for k, v in overrides.items() if k != 'seed')
  parts = [setting] if setting else []
  if 'seed' in overrides:
    parts.append(f'seed{overrides["seed"]}')
  return '/'.join(parts)


def apply(config, overrides: Dict[str, Any]):
  """A copy of config with the overrides set and no sweep: one variant's own config."""
  out = config.copy_and_resolve_references()
  with out.unlocked():
    for key, value in overrides.items():
      *path, last = key.split('.')
      target = out
      for part in path:
        target = target[part]
      target[last] = value
    out.sweep = ''
  return out
