"""Any method on ACAI's lines (--config.method=NAME); labels are 10 angle bins,
so ATNL orders the codes by angle. 1,000 steps (16 epochs). L2 reconstruction, as in
ACAI: a line covers ~3 % of the image, and under L1 every method stalled at blank
images (L1 0.0325 = the mean pixel for 300 steps, measured)."""

from train.configs import default


def get_config():
  config = default.get_config()
  config.data.name = 'lines'
  config.loss.reconstruction = 'l2'
  config.num_steps = 1000
  config.checkpoint_every = 250
  return config
