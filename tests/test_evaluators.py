"""The evaluators: each one's program writes a record whose every declared column
eval.report finds (producer and report agree), the registry, and evaluation while
training."""

import dataclasses
import json
import shutil

import pytest

from eval import common
from jsemrep import report
from jsemrep import evaluators
from jsemrep import runs
from jsemrep.errors import ConfigError
from jsemrep.evaluators.base import lookup, reader_gate
from train import during
from train import train


def report_of(runs_dir):
  """(collected table, markdown, rows) of the runs below runs_dir."""
  table = report.collect(str(runs_dir))
  rows = report.rows(table)
  return table, report.markdown(rows), rows


def test_every_evaluator_writes_what_the_report_reads(tiny_run, mnist5k_classifier, tmp_path):
  """Every registered evaluator with one row per run (a new one joins by itself)."""
  workdir = tmp_path / 'runs' / 'atnl' / 'seed0'
  shutil.copytree(tiny_run, workdir)
  names = sorted(n for n, e in evaluators.registry().items() if e.rows is None)
  written = common.evaluate(str(workdir), names, 'test', 0, flag_values={
      'paths_per_class_pair': 1, 'images_per_class_step': 1, 'samples': 30})
  assert 'lines' not in written and {'interpolate', 'generation'} <= set(written)
  assert set(written) == set(names) - {'lines', 'leak'}   # lines on lines runs, leak on split runs
  common.evaluate(str(workdir), ['interpolate'], 'validation', 0,
                  flag_values={'paths_per_class_pair': 1, 'images_per_class_step': 1})
  table, text, _ = report_of(tmp_path / 'runs')
  assert set(table['atnl/seed0']) == {(n, 'test') for n in written} | {('interpolate', 'validation')}
  for (name, split), record in table['atnl/seed0'].items():
    evaluator = evaluators.get(name)
    assert record['evaluator'] == name and record['split'] == split and record['step'] == 4
    for column in evaluator.columns:
      value = lookup(record['scores'], column.key)
      assert value is not None, (name, column.key)
      title = report.column_title(evaluator, column, split)
      assert f' {title} |' in text.splitlines()[2], title
  gate = table['atnl/seed0']['interpolate', 'test']['gates']['label']
  assert gate['real'] == table['atnl/seed0']['interpolate', 'test']['classifier_test_accuracy']
  assert set(gate) == {'real', 'oracle', 'passed'}
  validation = table['atnl/seed0']['interpolate', 'validation']
  assert validation['eval_seed'] == 0 and validation['seed'] == 0
  # 10 classes x 9 others x 1 path; accuracy is the per-path correct images over all images.
  kinds = validation['paths']['kinds']['slerp_semantic']
  assert len(kinds['visits']) == 90
  assert validation['scores']['slerp_semantic']['accuracy'] == pytest.approx(
      sum(kinds['correct']) / sum(len(p) for p in kinds['predicted']))


def test_viewpoint_end_to_end_feeds_its_table(tiny_rotated_run, rotated_classifiers,
                                              tmp_path):
  workdir = tmp_path / 'runs' / 'rot' / 'seed0'
  shutil.copytree(tiny_rotated_run, workdir)
  common.evaluate(str(workdir), ['viewpoint'], 'test', 0,
                  flag_values={'identities': 2, 'guided_steps': 3})
  record = json.loads((workdir / 'eval' / 'viewpoint.json').read_text())
  assert (workdir / 'eval' / 'edit.png').stat().st_size > 1000
  # 2 identities x 7 x 6 ordered angle pairs, every operator and both references.
  assert len(record['paths']['identity']) == 84 and record['identities_scored'] == 2
  assert set(record['scores']) == {'prototype_path', 'transport', 'arithmetic', 'guided',
                                   'oracle', 'no_edit', 'truth'}
  _, _, items = report_of(tmp_path / 'runs')
  evaluator = evaluators.get('viewpoint')
  for op in record['scores']:
    columns = items[('viewpoint', 'rotated_mnist5k', 'rot', op.replace('_', '-'))].columns
    assert set(columns) == {c.title for c in evaluator.columns}
    for column in evaluator.columns:
      assert columns[column.title][0] == pytest.approx(lookup(record['scores'][op], column.key))
  # The gates: each reader on the real images along the paths and on the oracle's
  # reconstructions of the same images; beside them, its accuracy on the whole test split.
  assert set(record['gates']) == {'angle', 'digit', 'identity'}
  assert record['gates']['angle']['oracle'] == record['scores']['oracle']['angle_accuracy']
  assert record['gates']['angle']['real'] == record['scores']['truth']['angle_accuracy']
  assert record['gates']['digit']['real'] == record['scores']['truth']['identity_kept']
  assert record['gates']['digit']['test_split'] == record['keep_classifier_test_accuracy']
  # The identity reader's gate: its rank-1 across views of the real test images is what
  # its training scored on the test split (the same search, reached from the evaluator).
  identity_gate = record['gates']['identity']
  assert identity_gate['real'] == pytest.approx(identity_gate['test_split'])
  assert 'endpoint_rank1_reader' in record['scores']['transport']


def test_an_unknown_evaluator_lists_the_known_ones():
  with pytest.raises(ConfigError, match=r"unknown evaluator 'interpolat'; known: .*interpolate"):
    evaluators.get('interpolat')
  with pytest.raises(TypeError, match='evaluator interpolate has no option paths'):
    evaluators.get('interpolate')(None, paths=3)


def test_a_variant_keeps_the_evaluator_and_changes_its_defaults():
  small = evaluators.get('interpolate_small')
  assert small.variant_of == 'interpolate' and small.columns == evaluators.get('interpolate').columns
  assert small.options['paths_per_class_pair'][0] == 1
  assert evaluators.get('interpolate').options['paths_per_class_pair'][0] == 5


def test_a_reader_gate_passes_within_0_05_of_real_images_only():
  assert reader_gate(0.90, 0.86) == {'real': 0.90, 'oracle': 0.86, 'passed': True}
  assert reader_gate(0.90, 0.95)['passed']
  assert not reader_gate(0.90, 0.84)['passed']


def test_while_training_an_evaluator_without_its_classifier_waits(tiny_run, monkeypatch):
  run = runs.load_run(str(tiny_run))
  said = []
  spec = dataclasses.replace(run.spec, evals='reconstruction,interpolate_small', eval_every=2)
  monkeypatch.setenv('JSEMREP_CLASSIFIER_DIR', '/nonexistent')
  during_training = during.DuringTraining(spec, said.append)
  scores = during_training(spec, run.params, 4)
  assert set(scores) == {'val/reconstruction/rec', 'val/reconstruction/kl'}
  assert scores['val/reconstruction/rec'] > 0 and scores['val/reconstruction/kl'] > 0
  expected = ['evaluation while training: interpolate_small skipped until its reader is cached: '
              'no cached classifier (cnn) of label on mnist5k; train it with python -m '
              'eval.classifier --dataset=mnist5k --field=label --arch=cnn']
  assert said == expected
  # The next interval tries it again (said once): it runs once the reader is cached.
  calls = []

  def still_none(self, *args, **kwargs):
    calls.append(args)
    raise runs.NoClassifierError('still none')
  monkeypatch.setattr(runs.Run, 'classifier', still_none)
  during_training(spec, run.params, 6)
  assert calls and said == expected


def test_training_logs_the_configured_evaluators_every_eval_every_steps(make_config,
                                                                         mnist5k_readers,
                                                                         tmp_path):
  train.train_and_evaluate(make_config(eval_every=4, evals='reconstruction,interpolate_small'),
                           tmp_path / 'run')
  records = [json.loads(line) for line in open(tmp_path / 'run' / 'metrics.jsonl')]
  assert [r['step'] for r in records] == [2, 4]
  assert not [k for k in records[0] if k.startswith('val/')]    # every eval_every steps only
  # What is logged is what the evaluator gives for those parameters on validation, the
  # second reader's columns included (it is cached).
  run = dataclasses.replace(runs.load_run(str(tmp_path / 'run')), train_classifiers=False)
  small = evaluators.get('interpolate_small')
  result = small(run, 'validation', 0)
  logged = {k for k in records[1] if k.startswith('val/')}
  assert logged == {'val/reconstruction/rec', 'val/reconstruction/kl'} | set(
      during.flat_scores(small, result))
  assert {f'val/interpolate_small/{c.key}' for c in small.columns} <= logged
  assert records[-1]['val/interpolate_small/slerp_semantic.visits'] == pytest.approx(
      result.scores['slerp_semantic']['visits'])


def test_interpolate_reconstructs_each_image_once_for_both_readers(tiny_run, mnist5k_readers,
                                                                   monkeypatch):
  """The two readers share the readers' autoencoder: each decoded image (and each
  oracle reconstruction of the gate) goes through it once, and each reader's scores
  are those it gives reading the images alone."""
  from jsemrep.readers import autoencoder  # pylint: disable=import-outside-toplevel
  run = runs.load_run(str(tiny_run))
  reconstructed = []
  original = autoencoder.reconstruct
  monkeypatch.setattr(autoencoder, 'reconstruct', lambda model, params, images, chunk=1000: (
      reconstructed.append(len(images)) or original(model, params, images, chunk)))
  result = evaluators.get('interpolate_small')(run, 'validation', 0, None)
  images = result.scores['slerp_semantic']['images']
  decoded = sum(result.scores[kind]['images'] for kind in result.scores)
  assert sum(reconstructed) == decoded + len(run.split('validation')['label'])
  classify, _ = run.classifier()
  second, _ = run.classifier(arch='mlp')
  alone = lambda reader: reader(run.decode(run.codes('validation')))[0]
  gates = result.info['gates']
  assert gates['label']['oracle'] == pytest.approx(
      float((alone(classify) == run.split('validation')['label']).mean()))
  assert gates['label_second']['oracle'] == pytest.approx(
      float((alone(second) == run.split('validation')['label']).mean()))
  assert images > 0
