"""python -m eval.failures --runs=ROW_DIR --steps=S --dataset=NAME --method=NAME
[--message=TEXT]: records the seeds of a results row (ROW_DIR/seed<N>) that did not
train to S steps as DIR/eval/failed.json, which eval.report shows beside the row ("4
seeds; seed 4 failed: ..."): the variants sweep.json marks as failed with their
message, and any other seed without a checkpoint at S steps with --message. Prints the
failed seeds' directories, one per line (the results scripts skip their evaluation)."""

import json
import os
import re

from absl import app
from absl import flags

from jsemrep import checkpoint
from jsemrep import files

FLAGS = flags.FLAGS
flags.DEFINE_string('runs', None, 'A row directory: a sweep over seeds (ROW_DIR/seed<N>).')
flags.DEFINE_integer('steps', None, 'The schedule every seed must reach.')
flags.DEFINE_string('dataset', None, 'The row\'s dataset (for the report).')
flags.DEFINE_string('method', None, 'The row\'s method (for the report).')
flags.DEFINE_string('message', 'training stopped before the schedule\'s end',
                    'Why a seed without a marked failure has no final checkpoint.')
flags.DEFINE_list('seeds', None, 'The seeds to check (default: every seed<N> directory).')
flags.mark_flags_as_required(['runs', 'steps', 'dataset', 'method'])


def failures(row_dir, steps, seeds, message):
  """{seed: message} of the seeds of row_dir that did not reach `steps`."""
  marked = {}
  record_path = os.path.join(row_dir, 'sweep.json')
  if os.path.exists(record_path):
    try:
      with open(record_path, encoding='utf-8') as f:
        record = json.load(f)
      marked = {v['overrides'].get('seed'): v['failed'] for v in record.get('variants', [])
                if 'failed' in v}
    except (OSError, ValueError, AttributeError):
      marked = {}
  out = {}
  for seed in seeds:
    if seed in marked:
      out[seed] = marked[seed]
    elif checkpoint.latest_step(os.path.join(row_dir, f'seed{seed}')) != steps:
      out[seed] = message
  return out


def main(argv):
  del argv
  seeds = ([int(s) for s in FLAGS.seeds] if FLAGS.seeds else sorted(
      int(m.group(1)) for n in os.listdir(FLAGS.runs) if (m := re.fullmatch(r'seed(\d+)', n))))
  for seed, message in failures(FLAGS.runs, FLAGS.steps, seeds, FLAGS.message).items():
    run = os.path.join(FLAGS.runs, f'seed{seed}')
    os.makedirs(os.path.join(run, 'eval'), exist_ok=True)
    files.write_json(os.path.join(run, 'eval', 'failed.json'), {
        'evaluator': 'failed', 'split': 'test', 'method': FLAGS.method,
        'dataset': FLAGS.dataset, 'seed': seed, 'num_steps': FLAGS.steps, 'message': message})
    print(run)


if __name__ == '__main__':
  app.run(main)
