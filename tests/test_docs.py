"""The front door: every relative link in README.md and docs/ resolves, every command
line the README shows parses, every results table names the current readers, and the
documentation speaks of the project alone."""

import os
import re
import shlex
import subprocess
import sys

import pytest

from jsemrep import classifier
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
  flag the README gives it (absl prints the flags and exits without running); one start
  per program."""
  flags_of = {}
  for line in _readme_commands():
    words = shlex.split(line)
    if '-m' in words:
      module = words[words.index('-m') + 1]
      flags_of.setdefault(module, set()).update(
          w.split('=')[0] for w in words[words.index('-m') + 2:]
          if w.startswith('--') and not w.startswith(('--config.', '--distributed')))
  assert {'train.main', 'eval.interpolate', 'eval.report', 'eval.evaluate'} <= set(flags_of)
  for module, names in sorted(flags_of.items()):
    result = subprocess.run([sys.executable, '-m', module, '--helpfull'], cwd=ROOT,
                            capture_output=True, text=True, check=False,
                            env=program_env(JSEMREP_CPU_TUNING='0'))
    assert result.returncode in (0, 1) and 'flags:' in result.stdout, (module, result.stderr[-2000:])
    for name in sorted(names):
      assert f'{name}:' in result.stdout, (module, name)


def _sections(text):
  """{heading: body} of the level-2 sections of a markdown text."""
  parts = re.split(r'^## ', text, flags=re.M)[1:]
  return {part.split('\n', 1)[0]: part for part in parts}


def _has_table(text):
  return re.search(r'^\|.*\|\n\|[-| ]+\|$', text, re.M) is not None


@pytest.mark.parametrize('path', ['README.md', 'docs/results.md'])
def test_every_results_table_is_stamped_with_the_current_readers(path):
  """docs/results.md: every section with a table; the README: its Results section."""
  current = f'readers v{classifier.CLASSIFIER_VERSION}'
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
