"""`make demo`: ATNL on mnist5k, about two and a half minutes on a 2-core CPU, with the
evaluators of evaluation while training run once, at the end."""

from train.configs import default


def get_config():
  config = default.get_config()
  config.data.name = 'mnist5k'
  config.num_steps = 600   # ~43 epochs of the 3,600 training digits at batch 256
  config.log_every = 50
  config.checkpoint_every = 300
  config.eval_every = 600
  return config
