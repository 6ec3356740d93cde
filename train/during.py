"""Evaluation while training (config.eval_every, config.evals): the named evaluators
(jsemrep/evaluators/) score the run's parameters on its validation split with
evaluation seed 0, and every declared column is logged beside the losses as
`val/EVALUATOR/KEY` (`val/EVALUATOR/ITEM/KEY` for a row per item), so a collapse or a
stalled order shows during the run rather than after it. An evaluator that needs an
evaluation classifier is skipped (said once) at every interval until the classifier is
cached, by `python -m eval.classifier` or another program: it is never trained here."""

from jsemrep import evaluators
from jsemrep import runs
from jsemrep.evaluators.base import lookup


def evaluator_names(spec):
  """The evaluators spec.evals names (a comma-separated string)."""
  return [name.strip() for name in spec.evals.split(',') if name.strip()]


def flat_scores(evaluator, result):
  """{`val/NAME/KEY`: number} of an evaluator's declared columns in a result."""
  if evaluator.rows is None:
    tables = {'': result.scores}
  else:
    tables = {f'{item}/': scores for item, (scores, _) in evaluator.rows(
        {'scores': result.scores, 'paths': result.raw}).items()}
  return {f'val/{evaluator.name}/{prefix}{column.key}': float(value)
          for prefix, scores in tables.items() for column in evaluator.columns
          if (value := lookup(scores, column.key)) is not None}


class DuringTraining:
  """scores = DuringTraining(spec)(spec, params, step, model): the evaluators' columns."""

  def __init__(self, spec, say=print):
    self.evaluators = [evaluators.get(name) for name in evaluator_names(spec)]
    self.say = say
    self.said = set()
    for evaluator in self.evaluators:
      if not evaluator.applies(spec):
        say(f'evaluation while training: {evaluator.name} does not apply to this run '
            f'({spec.method} on {spec.data.name}, semantic_dims {spec.model.semantic_dims}); '
            'it is not run')

  def __call__(self, spec, params, step, model=None):
    run = runs.Run.of(spec, params, step, model=model, train_classifiers=False)
    scores = {}
    for evaluator in self.evaluators:
      if not evaluator.applies(spec):
        continue
      try:
        scores.update(flat_scores(evaluator, evaluator(run, 'validation', 0)))
      except runs.NoClassifierError as e:
        if evaluator.name not in self.said:
          self.said.add(evaluator.name)
          self.say(f'evaluation while training: {evaluator.name} skipped until its reader is '
                   f'cached: {e}')
    return scores
