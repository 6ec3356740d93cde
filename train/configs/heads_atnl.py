"""ATNL on synthetic_heads with the paper's Multi-PIE settings (multipie_atnl: 64x64x3,
7 yaws, batch 16, margin 0.9 rad, the paper's loss weights), on a schedule that runs in
minutes on a 2-core CPU: 4,000 steps (64,000 images, about 2 epochs of the 33,600
training views). The dataset (6,000 procedural heads) is generated on first use, no
download; --config.method=NAME trains the baselines alike."""

from train.configs import multipie_atnl


def get_config():
  config = multipie_atnl.get_config()
  config.data.name = 'synthetic_heads'
  config.num_steps = 4000
  config.log_every = 200
  config.checkpoint_every = 1000
  return config
