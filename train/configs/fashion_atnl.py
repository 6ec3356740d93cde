"""ATNL on Fashion-MNIST (Debian's dataset-fashion-mnist directory, or downloaded)."""

from train.configs import default


def get_config():
  config = default.get_config()
  config.data.name = 'fashion_mnist'
  config.num_steps = 234 * 20
  config.checkpoint_every = 1000
  return config
