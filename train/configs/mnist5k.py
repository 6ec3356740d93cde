"""Any method on mnist5k: --config.method=NAME (vae, aae, acai, triplet, atnl,
atnl_adv, vaegan). 1,000 steps (64 epochs): 4 min for one-player methods, about
10 for two-player ones on a 2-core CPU."""

from train.configs import default


def get_config():
  config = default.get_config()
  config.data.name = 'mnist5k'
  config.num_steps = 1000
  config.checkpoint_every = 250
  return config
