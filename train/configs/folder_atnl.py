"""ATNL on your own ordered images: --config.data.manual_dir=DIR holds one folder per
class (numeric names are ordered by value; others need --config.data.classes=a,b,c),
with --config.data.image_size=H,W to resize them (sides multiples of 8) and
--config.data.circular=true for a ring of angles. Margin 0.5 rad with the graded rule
off: over K classes a constant margin m is met only when (K - 1) m <= pi."""

from train.configs import default


def get_config():
  config = default.get_config()
  config.data.name = 'folder'
  config.atn.margin = 0.5
  config.batch_size = 64
  config.num_steps = 2000
  config.log_every = 50
  config.checkpoint_every = 500
  return config
