"""The front door: every relative link in README.md and docs/ resolves, every command
line the README shows parses, every results table names the current readers, and the
documentation speaks of the project alone."""

import os
import re
import shlex
import subprocess
import sys

import pytest

from jsemrep import readers
from tests.conftest import ROOT, program_env

DOCS = ['README.md', 'CHANGELOG.md'] + sorted(
    os.path.join('docs', n) for n in os.listdir(os.path.join(ROOT, 'docs')) if n.endswith('.md'))


def _text(path):
  return open(os.path.join(ROOT, path), encoding='utf-8').read()


def _anchor(heading):
  """GitHub's anchor of a markdown heading."""
  text = re.sub(r'[^\w\- ]', '', heading.strip().lower())
  return text.replace(' ', '-')


def test_the_readme_is_a_front_door_of_at_most_250_lines():
  assert len(_text('README.md').splitlines()) <= 250


@pytest.mark.parametrize('path', DOCS)
def test_every_relative_link_resolves(path):
  for target in re.findall(r'\]\(([^)\s]+)\)', _text(path)):
    if re.match(r'[a-z]+://', target) or target.startswith('mailto:'):
      continue
    file, _, anchor = target.partition('#')
    resolved = os.path.normpath(os.path.join(ROOT, os.path.dirname(path), file)) if file else \
        os.path.join(ROOT, path)
    assert os.path.exists(resolved), f'{path}: {target}'
    if anchor:
      headings = re.findall(r'^#+ (.+)$', open(resolved, encoding='utf-8').read(), re.M)
      assert anchor in {_anchor(h) for h in headings}, f'{path}: {target}'


def _readme_commands():
  """The command lines of the README's indented code blocks (continuations joined)."""
  text = _text('README.md').replace('\\\n', ' ')
  lines = [line.strip() for line in text.splitlines() if line.startswith('    ')]
  return [line.split('  #')[0].strip() for line in lines
          if line.startswith(('python -m', 'make ', '.venv/bin/python -m', 'srun', 'gcloud'))]


def test_every_make_target_the_readme_names_parses():
  targets = {line.split()[1] for line in _readme_commands() if line.startswith('make ')}
  targets |= set(re.findall(r'`make ([\w-]+)', _text('README.md')))
  assert {'demo', 'test', 'install', 'results-mnist5k', 'results-rotated',
          'results-heads'} <= targets
  for target in sorted(targets):
    result = subprocess.run(['make', '-n', target], cwd=ROOT, capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, (target, result.stderr)


def test_every_python_command_the_readme_shows_parses():
  """Each `python -m PROGRAM ...`: the program starts and lists, with --helpfull, every
  flag the README gives it (absl prints the flags and exits without running)."""
  flags_of = {}
  for line in _readme_commands():
    words = shlex.split(line)
    if '-m' in words:
      module = words[words.index('-m') + 1]
      flags_of.setdefault(module, set()).update(
          w.split('=')[0] for w in words[words.index('-m') + 2:]
          if w.startswith('--') and not w.startswith(('--config.', '--distributed')))
  assert {'train.main', 'eval.interpolate', 'eval.report', 'eval.evaluate'} <= set(flags_of)
  result = subprocess.run([sys.executable, '-c', _HELP_OF_EACH, *sorted(flags_of)], cwd=ROOT,
                          capture_output=True, text=True, check=False,
                          env=program_env(JSEMREP_CPU_TUNING='0'))
  helps = dict(re.findall(r'^=== (\S+)\n(.*?)(?=^=== |\Z)', result.stdout, re.M | re.S))
  assert set(helps) == set(flags_of), result.stderr[-2000:]
  for module, names in sorted(flags_of.items()):
    assert 'flags:' in helps[module], (module, helps[module][-2000:])
    for name in sorted(names):
      assert f'{name}:' in helps[module], (module, name)


# Each program run as `python -m MODULE --helpfull` in a fork of one process that has
# imported what they all import (a start per program cost ~3 s, mostly imports): absl
# prints the program's flags and exits.
_HELP_OF_EACH = r"""
import os, runpy, sys, warnings
import jax, tensorflow_datasets, jsemrep.data, jsemrep.runs
warnings.simplefilter('ignore')
for module in sys.argv[1:]:
  read, write = os.pipe()
  pid = os.fork()
  if pid == 0:
    os.dup2(write, 1)
    os.dup2(write, 2)
    sys.argv = [module, '--helpfull']
    try:
      runpy.run_module(module, run_name='__main__', alter_sys=True)
    except SystemExit:
      pass
    sys.stdout.flush()
    os._exit(0)
  os.close(write)
  with os.fdopen(read) as f:
    text = f.read()
  os.waitpid(pid, 0)
  print(f'=== {module}', text, sep='\n', flush=True)
"""


def _sections(text):
  """{heading: body} of the level-2 sections of a markdown text."""
  parts = re.split(r'^## ', text, flags=re.M)[1:]
  return {part.split('\n', 1)[0]: part for part in parts}


def _has_table(text):
  return re.search(r'^\|.*\|\n\|[-| ]+\|$', text, re.M) is not None


@pytest.mark.parametrize('path', ['README.md', 'docs/results.md'])
def test_every_results_table_is_stamped_with_the_current_readers(path):
  """docs/results.md: every section with a table; the README: its Results section."""
  current = f'readers v{readers.VERSION}'
  text = _text(path)
  assert set(re.findall(r'readers v\d+', text)) == {current}
  sections = _sections(text)
  chosen = {'Results': sections['Results']} if path == 'README.md' else sections
  tables = [heading for heading, body in chosen.items() if _has_table(body)]
  assert tables
  for heading in tables:
    assert current in chosen[heading], (path, heading)


BUILD_WORDS = re.compile(r'\b(lent|issue|issues|goals?|session|sessions|reviewer asks|'
                         r'new yardstick|before this work|founding|engineer)\b', re.I)


@pytest.mark.parametrize('path', DOCS)
def test_the_documentation_speaks_of_the_project_alone(path):
  found = [line for line in _text(path).splitlines() if BUILD_WORDS.search(line)]
  assert not found, found
