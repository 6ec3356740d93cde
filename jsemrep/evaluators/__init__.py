"""Evaluators found by name (jsemrep.evaluators.base has the protocol).

Every module of this package that defines `EVALUATORS`, a tuple of Evaluator, adds
them to the registry: a new metric is one module (plus its entry in
docs/evaluation.md); its program (`python -m eval.evaluate --evaluators=NAME`), its
columns in `eval.report` and its use while training (`--config.evals=NAME`) follow.
"""

import importlib
import pkgutil

from jsemrep.errors import ConfigError

_registry = {}


def registry():
  """{name: Evaluator} of every evaluator module in this package (imported once)."""
  if not _registry:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
      if info.name == 'base':
        continue
      module = importlib.import_module(f'{__name__}.{info.name}')
      for evaluator in getattr(module, 'EVALUATORS', ()):
        if evaluator.name in _registry:
          raise ValueError(f'two evaluators are named {evaluator.name!r}')
        _registry[evaluator.name] = evaluator
  return _registry


def get(name):
  """The evaluator called `name`; a ConfigError listing the known ones otherwise."""
  if name not in registry():
    raise ConfigError(f'unknown evaluator {name!r}; known: {", ".join(sorted(registry()))}')
  return registry()[name]


def result_name(name, split):
  """The result file's name: NAME.json for test, NAME_SPLIT.json for another split."""
  return name if split == 'test' else f'{name}_{split}'
