"""ATNL on rotated_mnist5k: 7 rotations, -60..60 degrees, ordered by angle — the
ordinal-viewpoint stand-in for Multi-PIE, with its margin of 0.9 rad."""

from train.configs import default


def get_config():
  config = default.get_config()
  config.data.name = 'rotated_mnist5k'
  config.atn.margin = 0.9
  config.num_steps = 98 * 15   # 15 epochs of 25,200 images (3,600 digits x 7 angles)
  config.checkpoint_every = 500
  return config
