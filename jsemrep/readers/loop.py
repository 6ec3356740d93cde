"""The one training loop of every reader (the classifiers and their autoencoder)."""

from jsemrep.data import pipeline


def train_steps(step, params, opt_state, seed, num_examples, batch, steps, draw=None):
  """(params, opt_state) after step(params, opt_state, indices, step_number) for each
  step number of `steps` (a range), indices the batch pipeline.batch_indices draws for
  it (or draw(seed, step_number)): a pure function of seed and step, as in training."""
  if draw is None:
    draw = lambda seed, number: pipeline.batch_indices(seed, number, num_examples, batch)
  for number in steps:
    params, opt_state = step(params, opt_state, draw(seed, number), number)
  return params, opt_state
