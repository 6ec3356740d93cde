"""The evaluator protocol (big_vision's): an evaluator has a name, declares the columns
it reports, and scores a restored `jsemrep.runs.Run` on a split with an evaluation
seed. The same evaluator runs in its `python -m eval.NAME` program, while training
(`config.evals`) and in `eval.report`'s tables, which are built from the columns.
"""

import dataclasses
from typing import Any, Callable, Dict, NamedTuple, Optional, Tuple


@dataclasses.dataclass(frozen=True)
class Column:
  """One reported number.

  key: its dotted path in the evaluator's scores ('slerp_semantic.accuracy');
  title: its column title in the report; higher: whether higher is better;
  interval: whether the report gives it a 95 % interval over seeds (and paths, with
  per_path); per_path: raw -> (values (paths,), weights (paths,) or None), the
  per-path values whose weighted mean is the score, for the bootstrap over seeds x paths.
  """
  key: str
  title: str
  higher: bool = True
  interval: bool = True
  per_path: Optional[Callable[[dict], Tuple[Any, Any]]] = None


class Result(NamedTuple):
  """What an evaluator returns: scores {name: number or nested dict}, raw per-path
  results (or None) and info (what the reader needs beside the scores: the
  classifier's accuracy, figures written ...)."""
  scores: dict
  raw: Optional[dict] = None
  info: dict = {}


@dataclasses.dataclass(frozen=True)
class Evaluator:
  """name: how programs, configs and the report find it; columns: what it reports;
  evaluate(run, split, seed, figure_dir, **options) -> Result (figure_dir None: no
  figures, as while training); options: {name: (default, help)}, each a flag of its
  program; applies(spec) -> bool: whether it can score a run (e.g. lines only on
  lines); rows(result_json) -> {row name: (scores, raw)} for an evaluator whose table
  has a row per item of one run (the editing operators), else None; figure_column:
  the title of the column `eval.report` draws as a bar chart; variant_of: the
  evaluator this one runs with other options (`with_options`)."""
  name: str
  columns: Tuple[Column, ...]
  evaluate: Callable[..., Result]
  options: Dict[str, Tuple[Any, str]] = dataclasses.field(default_factory=dict)
  applies: Callable[[Any], bool] = lambda spec: True
  rows: Optional[Callable[[dict], dict]] = None
  figure_column: Optional[str] = None
  title: str = ''
  variant_of: Optional[str] = None

  def __call__(self, run, split='test', seed=0, figure_dir=None, **options) -> Result:
    unknown = set(options) - set(self.options)
    if unknown:
      raise TypeError(f'evaluator {self.name} has no option {", ".join(sorted(unknown))} '
                      f'(options: {", ".join(sorted(self.options)) or "none"})')
    chosen = {name: default for name, (default, _) in self.options.items()}
    chosen.update(options)
    return self.evaluate(run, split, seed, figure_dir, **chosen)

  def with_options(self, name, **options) -> 'Evaluator':
    """A variant under another name with other default options (e.g. a smaller study
    to run while training)."""
    merged = {k: (options.get(k, default), text) for k, (default, text) in self.options.items()}
    return dataclasses.replace(self, name=name, options=merged, variant_of=self.name,
                               figure_column=None)


GATE = 0.05   # a reader must read the oracle's reconstructions within this of real images


def reader_gate(real, oracle):
  """{'real', 'oracle', 'passed'}: a reader's accuracy on real test images (its ceiling
  on the dataset) and on the oracle's reconstructions, and whether the latter comes
  within GATE of the former (else the reader's scores of the run are not trusted)."""
  return {'real': float(real), 'oracle': float(oracle), 'passed': bool(oracle >= real - GATE)}


def lookup(tree, key):
  """The value at a dotted key of nested dicts, or None."""
  for part in key.split('.'):
    if not isinstance(tree, dict) or part not in tree:
      return None
    tree = tree[part]
  return tree
