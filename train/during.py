"""Evaluation while training (config.eval_every, config.evals): the named evaluators
(jsemrep/evaluators/) score the run's parameters on its validation split with
evaluation seed 0, and every declared column is logged beside the losses as
`val/EVALUATOR/KEY` (`val/EVALUATOR/ITEM/KEY` for a row per item), so a collapse or a
stalled order shows during the run rather than after it. An evaluator that needs an
evaluation classifier is skipped, once said, until the classifier is cached (it is
never trained here)."""

from jsemrep import evaluators
from jsemrep import runs
from jsemrep.evaluators.base import lookup


def evaluator_names(config):
  """The evaluators config.evals names (a comma-separated string)."""
  return [name.strip() for name in (config.get('evals') or '').split(',') if name.strip()]


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
  """scores = DuringTraining(config)(config, params, step): the evaluators' columns."""

  def __init__(self, config, say=print):
    self.evaluators = [evaluators.get(name) for name in evaluator_names(config)]
    self.say = say
    self.skipped = set()

  def __call__(self, config, params, step):
    run = runs.Run.of(config, params, step, train_classifiers=False)
    scores = {}
    for evaluator in self.evaluators:
      if evaluator.name in self.skipped or not evaluator.applies(config):
        continue
      try:
        scores.update(flat_scores(evaluator, evaluator(run, 'validation', 0)))
      except runs.NoClassifierError as e:
        self.skipped.add(evaluator.name)
        self.say(f'evaluation while training: {evaluator.name} skipped: {e}')
    return scores
