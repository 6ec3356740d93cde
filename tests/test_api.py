"""The public API: the README's notebook example runs against a freshly trained run
(trained here on 4 simulated devices, restored in a 1-device process)."""

import os
import re
import subprocess
import sys

import numpy as np
import pytest

import jsemrep
from train import train

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def readme_example():
  text = open(os.path.join(ROOT, 'README.md'), encoding='utf-8').read()
  return re.search(r'<!-- notebook example -->\n```python\n(.*?)```', text, re.S).group(1)


def test_readme_notebook_example_runs_on_one_device_after_training_on_four(make_config,
                                                                          tmp_path):
  config = make_config(num_steps=2)
  train.train_and_evaluate(config, tmp_path / 'run')
  code = readme_example().replace('runs/demo', str(tmp_path / 'run'))
  code += '\nassert images.shape == (7, 32, 32, 1) and 0 <= images.min() and images.max() <= 1\n'
  result = subprocess.run([sys.executable, '-c', code], cwd=tmp_path, check=False,
                          capture_output=True, text=True,
                          env=dict(os.environ, XLA_FLAGS='', PYTHONPATH=ROOT))
  assert result.returncode == 0, result.stderr[-3000:]


def test_encode_says_what_it_got(make_config, tmp_path):
  train.train_and_evaluate(make_config(num_steps=2), tmp_path)
  run = jsemrep.load_run(tmp_path)
  assert run.step == 2 and run.config.method == 'atnl'
  with pytest.raises(TypeError, match=r'encode takes uint8 images of shape \(N, 32, 32, 1\); '
                                      r'got float32 of shape \(2, 32, 32, 1\)'):
    run.encode(np.zeros((2, 32, 32, 1), np.float32))
  with pytest.raises(TypeError, match=r'decode takes codes of shape \(\.\.\., 8\); got \(3, 4\)'):
    run.decode(np.zeros((3, 4)))
  codes = run.encode(np.zeros((3, 32, 32, 1), np.uint8))
  assert codes.shape == (3, 8) and run.decode(codes[None]).shape == (1, 3, 32, 32, 1)


def test_public_api_names_resolve():
  for name in jsemrep.__all__:
    assert getattr(jsemrep, name) is not None
  with pytest.raises(AttributeError, match="no attribute 'nothing'"):
    _ = jsemrep.nothing
