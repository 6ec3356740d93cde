"""Result records: what an evaluator's JSON file holds (docs/evaluation.md), and the
lines a program prints of it."""

from jsemrep import methods
from jsemrep.evaluators.base import lookup


def run_fields(spec):
  """What identifies the run in every result JSON: eval.report groups runs that
  differ only in `seed` (the training seed)."""
  fields = {'method': spec.method, 'dataset': spec.data.name, 'seed': int(spec.seed),
            'num_steps': int(spec.num_steps), 'uses_labels': methods.uses_labels(spec)}
  if spec.loss.weight('atn') > 0:
    fields['neighbor'] = spec.atn.neighbor
    fields['margin_mode'] = spec.atn.margin_mode
  return fields


def record(evaluator, run, split, seed, options, result):
  """The JSON object of one evaluation: the run's fields, where it was scored, the
  options, the evaluator's info, its scores and (key `paths`) its raw results."""
  out = {'evaluator': evaluator.name, 'step': run.step, 'split': split, 'eval_seed': seed,
         **run_fields(run.spec), 'options': options, **result.info, 'scores': result.scores}
  if result.raw is not None:
    out['paths'] = result.raw
  return out


def _format(value):
  return f'{value:.3f}' if abs(value) < 100 else f'{value:.1f}'


def summary_lines(evaluator, rec):
  """One line per row (or one line) of the evaluator's columns in a record."""
  tables = evaluator.rows(rec) if evaluator.rows else {'': (rec['scores'], None)}
  lines = []
  for row, (scores, _) in tables.items():
    cells = [f'{c.title} {_format(v)}' for c in evaluator.columns
             if (v := lookup(scores, c.key)) is not None]
    if cells:
      lines.append((f'{row:15s} ' if row else '') + '  '.join(cells))
  return lines
