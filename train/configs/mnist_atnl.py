"""The paper's MNIST setting: 32x32, batch 256, Adam 1e-3, l_rec=10, l_kl=1e-4,
l_atn=1, margin 1.2 rad; full MNIST (downloaded, or --config.data.manual_dir)."""

from train.configs import default


def get_config():
  config = default.get_config()
  config.data.name = 'mnist'
  config.num_steps = 234 * 30   # 30 epochs of 60,000 digits
  config.checkpoint_every = 1000
  return config
