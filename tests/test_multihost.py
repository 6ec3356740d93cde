"""Two processes (jax.distributed on localhost, 2 simulated CPU devices each) train
the same run as one process with 4 devices; only process 0 writes and prints."""

import json
import os
import socket
import subprocess
import sys

import jax
import numpy as np
import pytest

import jsemrep
from tests.conftest import program_env
from train import train

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
  with socket.socket() as s:
    s.bind(('localhost', 0))
    return s.getsockname()[1]


@pytest.mark.parametrize('placement', ['device', 'host'])
def test_two_processes_train_like_one(make_config, tmp_path, placement):
  """With host placement each process reads only its own rows of every batch."""
  config = make_config(num_steps=4)
  workdir = tmp_path / 'two'
  port = free_port()
  env = program_env(devices=2, JSEMREP_CPU_TUNING='0')
  command = [sys.executable, '-m', 'train.main', '--config=train/configs/default.py',
             f'--workdir={workdir}', '--distributed', f'--coordinator_address=localhost:{port}',
             '--num_processes=2', f'--config.data.data_dir={tmp_path / "data"}',
             f'--config.data.manual_dir={config.data.manual_dir}', '--config.data.name=mnist5k',
             '--config.model.latent_dim=8', '--config.model.channels=(4,8,8)',
             '--config.model.hidden=(16,16)', '--config.batch_size=16', '--config.num_steps=4',
             '--config.log_every=2', '--config.checkpoint_every=2',
             f'--config.data.placement={placement}']
  procs = [subprocess.Popen(command + [f'--process_id={i}'], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE) for i in range(2)]
  outputs = [p.communicate(timeout=300) for p in procs]
  for p, (_, err) in zip(procs, outputs):
    assert p.returncode == 0, err[-3000:]
  assert 'step 4/4' in outputs[0][0] and 'in 2 process(es)' in outputs[0][0]
  # Gloo's connection report comes from its own threads, its lines at times cut in two.
  own = [l for l in outputs[1][0].splitlines() if 'Gloo' not in l and 'peer ranks' not in l]
  assert own == []                                  # process 1 prints nothing of its own
  records = [json.loads(line) for line in open(workdir / 'metrics.jsonl')]
  assert [r['step'] for r in records] == [2, 4]     # written once, by process 0

  one = train.train_and_evaluate(make_config(num_steps=4, **{'data.data_dir': str(tmp_path / 'data')}),
                                 tmp_path / 'one')
  two = jsemrep.load_run(str(workdir))
  assert two.step == 4
  jax.tree.map(lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6),
               jax.device_get(one.params['vae']), jax.device_get(two.params))
