"""The public API: the README's notebook example runs against a freshly trained run
(trained here on 4 simulated devices, restored in a 1-device process)."""

import os
import re
import subprocess
import sys

import numpy as np
import pytest

import jsemrep
from tests.conftest import program_env

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def readme_example():
  text = open(os.path.join(ROOT, 'README.md'), encoding='utf-8').read()
  return re.search(r'<!-- notebook example -->\n```python\n(.*?)```', text, re.S).group(1)


def test_readme_notebook_example_runs_on_one_device_after_training_on_four(tiny_run, tmp_path):
  code = readme_example().replace('runs/demo', str(tiny_run))
  code += '\nassert images.shape == (7, 32, 32, 1) and 0 <= images.min() and images.max() <= 1\n'
  result = subprocess.run([sys.executable, '-c', code], cwd=tmp_path, check=False,
                          capture_output=True, text=True,
                          env=program_env())
  assert result.returncode == 0, result.stderr[-3000:]


def test_encode_says_what_it_got(tiny_run):
  run = jsemrep.load_run(tiny_run)
  assert run.step == 4 and run.spec.method == 'atnl'
  with pytest.raises(TypeError, match=r'encode takes uint8 images of shape \(N, 32, 32, 1\); '
                                      r'got float32 of shape \(2, 32, 32, 1\)'):
    run.encode(np.zeros((2, 32, 32, 1), np.float32))
  with pytest.raises(TypeError, match=r'decode takes codes of shape \(\.\.\., 8\); got \(3, 4\)'):
    run.decode(np.zeros((3, 4)))
  codes = run.encode(np.zeros((3, 32, 32, 1), np.uint8))
  assert codes.shape == (3, 8) and run.decode(codes[None]).shape == (1, 3, 32, 32, 1)


def test_the_public_api_is_what_dir_lists_and_each_name_is_documented():
  assert dir(jsemrep) == jsemrep.__all__
  for name in jsemrep.__all__:
    assert (getattr(jsemrep, name).__doc__ or '').strip(), f'{name} has no docstring'
  with pytest.raises(AttributeError, match="no attribute 'nothing'"):
    _ = jsemrep.nothing


def test_decode_refuses_codes_that_are_not_finite(tiny_run):
  run = jsemrep.load_run(tiny_run)
  codes = np.zeros((3, 8), np.float32)
  codes[1, 2] = np.nan
  with pytest.raises(ValueError, match='decode takes finite codes; 1 of them hold NaN or inf'):
    run.decode(codes)

