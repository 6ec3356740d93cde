"""The paper's Multi-PIE setting: 64x64, 7 viewpoints, batch 16, margin 0.9 rad.
Licensed data: --config.data.manual_dir=DIR with one folder per viewpoint."""

from train.configs import default


def get_config():
  config = default.get_config()
  config.data.name = 'multi_pie'
  config.batch_size = 16
  config.atn.margin = 0.9
  config.num_steps = 20000
  config.checkpoint_every = 2000
  return config
