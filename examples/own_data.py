"""Your own ordered images, end to end: a folder per class, a few training steps, the run
loaded back, every test image encoded, a vmapped slerp study between the first and the
last class, and its figure.

    python examples/own_data.py [OUT_DIR] [--steps=N]

It writes OUT_DIR/images/<angle>/ (synthetic rotated bars, standing in for your photos),
trains into OUT_DIR/run and saves OUT_DIR/slerp.png.
"""

import argparse
import os
import sys

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# pylint: disable=wrong-import-position
import jax.numpy as jnp  # noqa: E402

import jsemrep  # noqa: E402
from jsemrep import plots  # noqa: E402
from train import train  # noqa: E402
from train.configs import folder_atnl  # noqa: E402

ANGLES = (0, 30, 60, 90, 120)


def write_images(root, per_class=30, size=48, seed=0):
  """A folder per angle of bars at that angle (with noise): your images go here."""
  rng = np.random.default_rng(seed)
  yy, xx = np.mgrid[:size, :size] - size / 2
  for angle in ANGLES:
    os.makedirs(os.path.join(root, str(angle)), exist_ok=True)
    theta = np.radians(angle)
    for i in range(per_class):
      bar = np.abs(-np.sin(theta) * xx + np.cos(theta) * yy) < 2.5 + rng.uniform(0, 1)
      image = (bar[..., None] * rng.uniform(150, 255, 3) + rng.integers(0, 40, (size, size, 3)))
      Image.fromarray(np.clip(image, 0, 255).astype(np.uint8)).save(
          os.path.join(root, str(angle), f'{i}.png'))


def main(out, steps):
  images = os.path.join(out, 'images')
  write_images(images)
  config = folder_atnl.get_config()
  config.data.manual_dir = images
  config.data.data_dir = os.path.join(out, 'datasets')
  config.data.image_size = (32, 32)
  config.num_steps, config.log_every, config.checkpoint_every = steps, max(steps // 4, 1), steps
  train.train_and_evaluate(config, os.path.join(out, 'run'))

  run = jsemrep.load_run(os.path.join(out, 'run'))
  codes, labels = run.codes('test'), run.split('test')['label']
  first, last = codes[labels == 0], codes[labels == len(ANGLES) - 1]
  pairs = min(len(first), len(last))
  ts = jnp.linspace(0, 1, 9)
  paths = jsemrep.semantic_paths_batch(               # (pairs, 9, latent), one vmapped call
      jnp.asarray(first[:pairs]), jnp.asarray(last[:pairs]), jnp.zeros(pairs, jnp.int32),
      jnp.full(pairs, len(ANGLES) - 1), run.prototypes('train'), ts)
  decoded = run.decode(np.asarray(paths[:4]))          # (4, 9, 32, 32, 3) in [0, 1]
  path = os.path.join(out, 'slerp.png')
  plots.image_rows([(f'pair {k}', row) for k, row in enumerate(decoded)], path,
                   f'0 -> {ANGLES[-1]} degrees through the prototypes, step {run.step}')
  print(f'{pairs} paths x {len(ts)} steps; figure {path}')
  return path


if __name__ == '__main__':
  parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
  parser.add_argument('out', nargs='?', default='runs/own_data')
  parser.add_argument('--steps', type=int, default=300)
  args = parser.parse_args()
  main(args.out, args.steps)
