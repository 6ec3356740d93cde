"""eval/results.sh survives a failed seed: the seed is recorded (eval/failed.json), the
other rows are evaluated, the report is written and marks the failure, and the script
exits 1 at the end; a rerun does not retrain the failed seed."""

import json
import os
import stat
import subprocess
import sys

from tests.conftest import ROOT, program_env

STUB = '''#!/usr/bin/env bash
# The real interpreter, except the evaluation programs, which only say they ran.
case "$2" in
  eval.interpolate|eval.generation|eval.representation) echo "$2 $*" >> "$STUB_LOG"; exit 0 ;;
  *) echo "$2" >> "$STUB_LOG"; exec "{python}" "$@" ;;
esac
'''


def test_a_diverging_row_is_marked_and_the_rest_goes_on(data_dir, mnist5k_dir, tmp_path):
  stub = tmp_path / 'python'
  stub.write_text(STUB.format(python=sys.executable))
  stub.chmod(stub.stat().st_mode | stat.S_IEXEC)
  env = program_env(
      PY=str(stub), STUB_LOG=str(tmp_path / 'log'), SEEDS='0', DATASETS='mnist5k', STEPS='2',
      INTERPOLATION_ONLY='1', JSEMREP_CPU_TUNING='0',
      ROWS='good:atnl\nbad:atnl:--config.loss.weights.kl=1e38',
      EXTRA_FLAGS=(f'--config.data.data_dir={data_dir} --config.data.manual_dir={mnist5k_dir} '
                   '--config.model.latent_dim=8 --config.model.channels=4,8,8 '
                   '--config.model.hidden=16,16 --config.batch_size=16 --config.log_every=2'))
  runs = tmp_path / 'runs'
  result = subprocess.run(['bash', 'eval/results.sh', str(runs)], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=False)
  assert result.returncode == 1, result.stderr[-3000:]
  failed = json.loads((runs / 'mnist5k' / 'bad' / 'seed0' / 'eval' / 'failed.json').read_text())
  assert failed['seed'] == 0 and failed['method'] == 'atnl'
  assert 'not finite' in failed['message']
  assert (runs / 'mnist5k' / 'good' / 'seed0' / 'eval' / 'done-2').exists()
  log = (tmp_path / 'log').read_text()
  evaluated = [line for line in log.splitlines() if line.startswith('eval.interpolate')]
  assert len(evaluated) == 2 and all('good/seed0' in line for line in evaluated)
  assert 'seed 0 failed: ' in (runs / 'results.md').read_text()
  trained = log.splitlines().count('train.main')
  subprocess.run(['bash', 'eval/results.sh', str(runs)], cwd=ROOT, env=env, capture_output=True,
                 check=False)
  assert (tmp_path / 'log').read_text().splitlines().count('train.main') == trained   # none again
  assert os.path.exists(runs / 'results.md')
