"""Any method on mnist5k: --config.method=NAME (vae, aae, acai, triplet, atnl,
atnl_adv, vaegan). 1,000 steps (64 epochs). Measured on the 2-core CPU (Zen 5,
2026-11-23, fashion_mnist runs of 400 steps): 2,450-2,650 images/s for
vae/aae/triplet/atnl, 990-1,130 for atnl_adv/acai, 850 for vaegan, so 1,000 steps
take about 2, 4 and 5 minutes."""

from train.configs import default


def get_config():
  config = default.get_config()
  config.data.name = 'mnist5k'
  config.num_steps = 1000
  config.checkpoint_every = 250
  return config
