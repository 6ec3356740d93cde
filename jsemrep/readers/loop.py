"""The one training loop of every reader (the classifiers and their autoencoder)."""

from jsemrep.data import pipeline


def train_steps(step, params, opt_state, seed, num_examples, batch, steps):
  """(params, opt_state) after step(params, opt_state, indices, step_number) for each
  step number of `steps` (a range), indices the batch pipeline.batch_indices draws for
  it: a pure function of seed and step, as in training."""
  for number in steps:
    params, opt_state = step(params, opt_state,
                             pipeline.batch_indices(seed, number, num_examples, batch), number)
  return params, opt_state
