"""Any method on ACAI's lines (--config.method=NAME); labels are 10 angle bins,
so ATNL orders the codes by angle. 1,000 steps (16 epochs)."""

from train.configs import default


def get_config():
  config = default.get_config()
  config.data.name = 'lines'
  config.num_steps = 1000
  config.checkpoint_every = 250
  return config
