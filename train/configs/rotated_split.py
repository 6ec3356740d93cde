"""ATNL on a split latent, trained by cross-reconstruction, on rotated_mnist5k: z = [s, c]
with s the first 16 of 64 dimensions (ATN on s, margin 0.5 rad), c the rest; rec 10,
cross 10, ATN 1, KL 1e-4. --config.method=split is the ablation without ATN."""

from train.configs import rotated_atnl


def get_config():
  config = rotated_atnl.get_config()
  config.method = 'atnl_split'
  config.model.semantic_dims = 16
  config.atn.margin = 0.5
  config.atn.neighbor = 'ordinal'
  return config
