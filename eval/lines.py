"""python -m eval.lines --workdir=DIR (a model trained on `lines`): ACAI's Mean
Distance and Smoothness (docs/evaluation.md) of lerp and slerp interpolations between
random test pairs, each path's raw result, and a figure of decoded line interpolations."""

from jsemrep import runtime

if __name__ == '__main__':
  runtime.prepare_process()   # before JAX is imported

# pylint: disable=wrong-import-position

import os

from absl import flags
import jax.numpy as jnp
import numpy as np

from eval import common
from jsemrep import data
from jsemrep import inference
from jsemrep import plots
from jsemrep import sphere
from jsemrep.metrics import lines

FLAGS = flags.FLAGS
flags.DEFINE_integer('paths', 256, 'Interpolation paths.')
flags.DEFINE_integer('path_length', 16, 'Images per path, endpoints included.')


def main(argv):
  del argv
  config, model, params, step = common.restore(FLAGS.workdir, FLAGS.step)
  if config.data.name != 'lines':
    raise ValueError(f'{FLAGS.workdir} was trained on {config.data.name!r}; eval.lines needs '
                     'a model trained on lines')
  test = data.load_split(config, 'test')
  rng = np.random.default_rng(0)
  z = inference.encode(model, params, test['image'])
  a, b = rng.integers(0, len(z), FLAGS.paths), rng.integers(0, len(z), FLAGS.paths)
  ts = sphere.path_ts(FLAGS.path_length)
  reference = lines.reference_lines()
  result = {'step': step, **common.run_fields(config), 'paths': {}}
  rows = []
  for interp in ('lerp', 'slerp'):
    codes = sphere.direct_paths_batch(jnp.asarray(z[a]), jnp.asarray(z[b]), ts, interp)
    images = inference.to_images(inference.decode(model, params, np.asarray(codes)),
                                 config.loss.reconstruction)
    result[interp], raw = lines.lines_scores(images, reference)
    result['paths'][interp] = {k: [None if np.isnan(v) else v for v in values]
                               for k, values in raw.items()}
    rows += [(f'{interp} {p}', images[p]) for p in range(3)]
    print(f'{interp}: mean distance {result[interp]["mean_distance"]:.4f} '
          f'smoothness {result[interp]["smoothness"]:.4f} '
          f'(paths that do not move: {result[interp]["still_paths"]})')
  figure = os.path.join(common.eval_dir(FLAGS.workdir), 'lines.png')
  plots.image_rows(rows, figure, f'{config.method} on lines, step {step}')
  common.write_json(FLAGS.workdir, 'lines', {**result, 'figure': figure})


if __name__ == '__main__':
  common.run(main)
