"""python -m eval.report --runs=DIR: one markdown table (method x dataset x metric) of
every DIR/**/eval/*.json, written to DIR/results.md, and a bar chart of ordinal
interpolation accuracy per method and dataset (DIR/results.png)."""

import glob
import json
import os

from absl import app
from absl import flags

from jsemrep import plots

FLAGS = flags.FLAGS
flags.DEFINE_string('runs', 'runs/results', 'Directory of training runs.')

COLUMNS = [
    ('interp. acc. slerp semantic', 'interpolate', ('scores', 'slerp_semantic', 'accuracy')),
    ('monotone slerp semantic', 'interpolate', ('scores', 'slerp_semantic', 'monotone')),
    ('interp. acc. lerp semantic', 'interpolate', ('scores', 'lerp_semantic', 'accuracy')),
    ('interp. acc. slerp direct', 'interpolate', ('scores', 'slerp_direct', 'accuracy')),
    ('interp. acc. lerp direct', 'interpolate', ('scores', 'lerp_direct', 'accuracy')),
    ('linear probe', 'representation', ('linear_probe_accuracy',)),
    ('retrieval mAP', 'representation', ('retrieval_map',)),
    ('k-means acc.', 'representation', ('kmeans_accuracy',)),
    ('FID prior', 'generation', ('prior', 'fid')),
    ('FID interp.', 'generation', ('interpolants', 'fid')),
    ('precision prior', 'generation', ('prior', 'precision')),
    ('recall prior', 'generation', ('prior', 'recall')),
    ('lines dist. lerp', 'lines', ('lerp', 'mean_distance')),
    ('lines smooth. lerp', 'lines', ('lerp', 'smoothness')),
    ('lines dist. slerp', 'lines', ('slerp', 'mean_distance')),
    ('lines smooth. slerp', 'lines', ('slerp', 'smoothness')),
]


def collect(runs):
  """{(dataset, method, run dir): {program: result}} of every eval JSON under runs."""
  table = {}
  for path in sorted(glob.glob(os.path.join(runs, '**', 'eval', '*.json'), recursive=True)):
    with open(path, encoding='utf-8') as f:
      result = json.load(f)
    run = os.path.dirname(os.path.dirname(path))
    key = (result.get('dataset', '?'), result.get('method', '?'), os.path.relpath(run, runs))
    table.setdefault(key, {})[os.path.splitext(os.path.basename(path))[0]] = result
  return table


def _get(result, keys):
  for k in keys:
    if not isinstance(result, dict) or k not in result:
      return None
    result = result[k]
  return result


def markdown(table):
  used = [c for c in COLUMNS if any(_get(r.get(c[1]), c[2]) is not None for r in table.values())]
  header = ['dataset', 'method', 'run'] + [c[0] for c in used]
  lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
  for (dataset, method, run), results in sorted(table.items()):
    cells = []
    for _, program, keys in used:
      value = _get(results.get(program), keys)
      cells.append('' if value is None else f'{value:.3f}' if value < 100 else f'{value:.0f}')
    lines.append('| ' + ' | '.join([dataset, method, run] + cells) + ' |')
  classifiers = sorted({(d, r['interpolate']['classifier_test_accuracy'])
                        for (d, _, _), r in table.items() if 'interpolate' in r})
  notes = ', '.join(f'{d} {a:.3f}' for d, a in classifiers)
  return '\n'.join(lines) + (f'\n\nEvaluation classifier test accuracy: {notes}.\n' if notes else '\n')


def main(argv):
  del argv
  table = collect(FLAGS.runs)
  if not table:
    raise FileNotFoundError(f'{FLAGS.runs}: no eval/*.json below; run the eval programs first')
  text = markdown(table)
  with open(os.path.join(FLAGS.runs, 'results.md'), 'w', encoding='utf-8') as f:
    f.write(text)
  bars = {(d, run): _get(r.get('interpolate'), ('scores', 'slerp_semantic', 'accuracy'))
          for (d, _, run), r in table.items()}
  plots.grouped_bars({k: v for k, v in bars.items() if v is not None},
                     os.path.join(FLAGS.runs, 'results.png'),
                     'ordinal interpolation accuracy (semantic slerp)')
  print(text)


if __name__ == '__main__':
  app.run(main)
