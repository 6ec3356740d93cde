"""Sweeps: a product of values of the knobs (`--config.sweep='atn.margin=0.9,1.2
seed=0,1'`), each variant an ordinary run in WORKDIR/<variant name>/, and the record
of them, WORKDIR/sweep.json (written atomically, under a lock on the sweep directory,
only once every variant has passed its checks)."""

import itertools
import json
import math
import os
import re
from typing import Any, Dict, List

from jsemrep import files
from jsemrep import spec as spec_lib
from jsemrep.errors import ConfigError, JsemrepError

RECORD = 'sweep.json'
LOCK = 'sweep.lock'
# Sweepable keys: a spec field that is a knob (jsemrep.spec.Knobs), or a loss weight.
SWEEPABLE = ('seed', 'atn.margin', 'triplet.margin', 'acai.gamma', 'learning_rate',
             'critic.learning_rate')
WEIGHT_PREFIX = 'loss.weights.'


class SweepError(JsemrepError):
  """Some variants of a sweep failed; the others trained."""


def _parse_value(key, text):
  try:
    if key == 'seed':
      value = int(text)
      if not 0 <= value <= spec_lib.MAX_SEED:
        raise ValueError
      return value
    value = float(text)
    if not math.isfinite(value):
      raise ValueError
    return value
  except ValueError:
    kind = f'an integer from 0 to {spec_lib.MAX_SEED}' if key == 'seed' else 'a finite number'
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


def _text(value):
  """A value as a directory name: 6 significant digits where they give the value back,
  else every digit (0.5 and 0.5000001 get two names)."""
  short = f'{value:g}'
  return short if float(short) == value else repr(value)


def variant_name(overrides: Dict[str, Any]) -> str:
  """A variant's run directory below the sweep's: 'atn.margin=0.9/seed1', 'seed1',
  'loss.weights.kl=0.001'; a swept seed is the last component, so eval.report
  groups a setting's seeds into one row."""
  setting = ','.join(f'{k}={_text(v)}' for k, v in overrides.items() if k != 'seed')
  parts = [setting] if setting else []
  if 'seed' in overrides:
    parts.append(f'seed{overrides["seed"]}')
  return '/'.join(parts)


def apply(config, overrides: Dict[str, Any]):
  """A copy of config with the overrides set and no sweep: one variant's own config
  (a weight of a term registered after the config was built gets its key here)."""
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


def expand(config):
  """[(name, overrides, config)] of the runs a command trains: one ('', {}, config)
  without a sweep, else every variant of config.sweep."""
  if not config.sweep:
    return [('', {}, config)]
  variants = parse(config.sweep)
  return [(variant_name(o), o, apply(config, o)) for o in variants]


def read_record(root):
  """The record of the sweep in root, or None; one-line ConfigError when it is damaged."""
  path = os.path.join(root, RECORD)
  if not os.path.exists(path):
    return None
  try:
    with open(path, encoding='utf-8') as f:
      record = json.load(f)
    variants = record.get('variants')
    if not isinstance(variants, list) or not all(
        isinstance(v, dict) and isinstance(v.get('overrides'), dict) and 'workdir' in v
        for v in variants):
      raise ValueError('no list of variants, each with its overrides and workdir')
    return record
  except (ValueError, AttributeError) as e:
    raise ConfigError(f'{path} is damaged ({e}); it records which variants the sweep holds: '
                      'delete it and run every command of the sweep again (trained variants '
                      'resume from their checkpoints)') from None


def recorded_variants(root, config, variants):
  """The variants sweep.json records from earlier commands in root, other than
  `variants` (this command's). A sweep over the same keys adds its variants to them
  (seeds 3-4 beside a finished seed=0,1,2); a sweep over other keys is refused."""
  record = read_record(root)
  if record is None:
    return []
  recorded = record['variants']
  if {tuple(sorted(v['overrides'])) for v in recorded} != {tuple(sorted(o)) for o in variants}:
    raise ConfigError(f'{root} holds the sweep {record.get("sweep")!r}; this command asks '
                      f'for {config.sweep!r}, over other keys: give the new sweep another '
                      '--workdir')
  names = {variant_name(o) for o in variants}
  return [v for v in recorded if v['workdir'] not in names]


def check_extension(earlier_name, stored, requested):
  """Refuses to add variants whose settings, swept keys aside, differ from those of a
  recorded variant (they would be pooled into one row with it)."""
  old, new = spec_lib.leaves(stored), spec_lib.leaves(requested)
  differ = sorted(k for k in old.keys() | new.keys()
                  if old.get(k, (None, 'say'))[1] != 'ignore'
                  and old.get(k, (None,))[0] != new.get(k, (None,))[0])
  if differ:
    what = ', '.join(f'{k}={old.get(k, (None,))[0]!r} -> {new.get(k, (None,))[0]!r}'
                     for k in differ)
    raise ConfigError(f'the sweep records {earlier_name} with other settings than this command '
                      f'gives its variants ({what}): extend a sweep with its own settings, or '
                      'give the new one another --workdir')


def write_record(root, sweep, mode, variants, failures):
  """Writes sweep.json atomically under the lock: the variants recorded by other
  commands (read again now) and this command's, each failed one with its message."""
  with files.locked(os.path.join(root, LOCK)):
    record = read_record(root) or {'variants': []}
    names = [variant_name(o) for o in variants]
    kept = [v for v in record['variants'] if v['workdir'] not in names]
    entries = [{'overrides': o, 'workdir': n, **({'failed': failures[i]} if i in failures else {})}
               for i, (o, n) in enumerate(zip(variants, names))]
    files.write_json(os.path.join(root, RECORD),
               {'sweep': sweep, 'mode': mode, 'variants': kept + entries})

