"""Any method on mnist5k: --config.method=NAME (vae, aae, acai, triplet, atnl,
atnl_adv, vaegan). 1,000 steps (64 epochs). Measured on a 2-core CPU at 400 steps
with other jobs on the cores: 620-700 images/s for vae/aae/triplet/atnl, 400-460 for
acai/atnl_adv, 220-230 for vaegan, so 1,000 steps take about 6, 10 and 19 minutes."""

from train.configs import default


def get_config():
  config = default.get_config()
  config.data.name = 'mnist5k'
  config.num_steps = 1000
  config.checkpoint_every = 250
  return config
