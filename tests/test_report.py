"""eval.report's grouping of sweeps and its viewpoint-editing table."""

import os

import pytest

from jsemrep import report as report_lib
from jsemrep.report import sweeps
from jsemrep.errors import JsemrepError


def test_sweep_axes_are_groups_named_key_equals_value():
  groups = {'sw/atn.margin=0.9': {}, 'sw/atn.margin=0.6': {}, 'sw/atn.margin=1.2': {},
            'other/seed0': {}, 'single/atn.margin=0.9': {}, 'single/num_steps=600': {}}
  assert report_lib.sweep_axes(groups) == {('sw', 'atn.margin'): [
      (0.6, 'sw/atn.margin=0.6'), (0.9, 'sw/atn.margin=0.9'), (1.2, 'sw/atn.margin=1.2')],
      ('single', 'atn.margin'): [(0.9, 'single/atn.margin=0.9')]}


def test_a_knob_several_rows_sweep_is_drawn_as_one_figure(tmp_path, monkeypatch):
  """eval/curves.sh's layout: every row swept in num_steps gives one figure, a line per
  row; a knob one row sweeps keeps its own figure."""
  def row(value):
    return report_lib.Row(
        evaluator=None, dataset='mnist5k', group='', item=None, name='', runs=('seed0', 'seed1'),
        seeds=(0, 1), uses_labels=None, failed={}, per_path={},
        columns={'slerp semantic visits': (value, value - 0.1, value + 0.1),
                 'slerp direct visits': (value / 2, value / 2 - 0.1, value / 2 + 0.1)})
  groups = {f'mnist5k/{m}/num_steps={s}': row(s / 1e4) for m in ('acai', 'vae')
            for s in (600, 2000)}
  groups.update({'sw/atn.margin=0.9': row(0.5), 'sw/atn.margin=1.2': row(0.6),
                 'mnist5k/acai_lr1e-4/num_steps=2000': row(0.3)})
  written = report_lib.sweep_plots(groups, str(tmp_path))
  assert sorted(os.path.basename(p) for p in written) == ['sweep_num_steps.png',
                                                         'sweep_sw_atn.margin.png']
  assert all(os.path.getsize(p) > 0 for p in written)
  drawn = {}
  monkeypatch.setattr(sweeps.plots, 'metric_vs_value',
                      lambda series, path, *_: drawn.update({os.path.basename(path): series}))
  report_lib.sweep_plots(groups, str(tmp_path))
  curves = drawn['sweep_num_steps.png']
  assert set(curves) == {'slerp semantic visits', 'slerp direct visits'}
  assert curves['slerp direct visits']['mnist5k/vae'] == [(600.0, 0.03, -0.07, 0.13),
                                                          (2000.0, 0.1, 0.0, 0.2)]
  assert curves['slerp direct visits']['mnist5k/acai_lr1e-4'] == [
      pytest.approx((2000.0, 0.15, 0.05, 0.25))]
  assert set(drawn['sweep_sw_atn.margin.png']['slerp semantic visits']) == {'sw'}


def _viewpoint_result(seed, kept):
  """A viewpoint.json with 2 paths of 3 images and one operator."""
  endpoint = {'endpoint_l1': [0.1, 0.2], 'endpoint_ssim': [0.5, 0.7],
              'endpoint_angle': [True, False], 'endpoint_kept': [True, True]}
  scores = {op: {} for op in ('transport', 'oracle', 'no_edit')}
  return {'method': 'atnl', 'dataset': 'rotated_mnist5k', 'seed': seed, 'neighbor': 'ordinal',
          'evaluator': 'viewpoint', 'split': 'test', 'scores': scores,
          'paths': {'identity': [5, 8], 'operators': {'transport': {
              'predicted': [[0, 1, 1], [1, 1, 0]], 'correct': [3, 2], 'kept_images': kept,
              'both': [2, 1], 'monotone': [True, False], 'visits': [True, False], **endpoint},
              'oracle': endpoint, 'no_edit': endpoint}}}


def test_viewpoint_rows_pool_seeds_and_paths(tmp_path):
  table = {os.path.join('atnl', f'seed{s}'): {('viewpoint', 'test'): _viewpoint_result(s, [3, kept])}
           for s, kept in ((0, 1), (1, 3))}
  rows = report_lib.rows(table)
  assert set(rows) == {('viewpoint', 'rotated_mnist5k', 'atnl', op)
                       for op in ('transport', 'oracle', 'no-edit')} | {
                           (None, 'rotated_mnist5k', 'atnl', None)}
  transport = rows[('viewpoint', 'rotated_mnist5k', 'atnl', 'transport')]
  assert transport.seeds == (0, 1) and len(transport.runs) == 2
  assert transport.columns['angle acc.'][0] == 5 / 6
  assert transport.columns['identity kept'][0] == (4 / 6 + 6 / 6) / 2
  assert 'angle acc.' not in rows[('viewpoint', 'rotated_mnist5k', 'atnl', 'oracle')].columns
  text = report_lib.markdown(rows)
  assert '### rotated_mnist5k: viewpoint editing' in text
  assert "| atnl | atnl (ordinal: this project's reading) | transport | 2 | 0.833" in text


def _interpolate_result(method, seed, correct):
  """An interpolate.json of 4 paths of 2 images (every kind the same)."""
  kind = {'predicted': [[0, 1]] * 4, 'correct': correct, 'monotone': [True] * 4,
          'visits': [True] * 4}
  scores = {k: {'accuracy': sum(correct) / 8, 'monotone': 1.0, 'visits': 1.0}
            for k in ('slerp_semantic', 'lerp_semantic', 'slerp_direct', 'lerp_direct')}
  return {'method': method, 'dataset': 'mnist5k', 'seed': seed, 'evaluator': 'interpolate',
          'split': 'test', 'scores': scores,
          'paths': {'kinds': {k: kind for k in scores}}}


def test_paired_differences_against_a_row():
  table = {f'{m}/seed{s}': {('interpolate', 'test'): _interpolate_result(m, s, correct)}
           for m, correct in (('vae', [2, 1, 0, 1]), ('acai', [2, 2, 1, 1])) for s in (0, 1)}
  rows = report_lib.rows(table)
  diffs = report_lib.differences(rows, 'vae')
  mean, low, high = diffs[(None, 'mnist5k', 'acai', None)]['slerp semantic acc.']
  assert mean == 2 / 8 and low <= mean <= high
  text = report_lib.differences_markdown(diffs, rows, 'vae')
  assert '### Paired differences to vae (vae), mnist5k' in text and '+0.250 [' in text
  assert '| acai | acai | +0.250 [' in text
  with pytest.raises(JsemrepError, match='--against=nope: no such row; rows: acai, vae'):
    report_lib.differences(rows, 'nope')


def test_no_paired_difference_table_without_shared_per_path_columns():
  """Rows whose columns are all per-run (no per-path values) give no table at all, not
  a header over empty cells."""
  table = {f'{m}/seed{s}': {('interpolate', 'test'): _interpolate_result(m, s, [2, 1, 0, 1])}
           for m in ('vae', 'acai') for s in (0, 1)}
  for results in table.values():
    del results[('interpolate', 'test')]['paths']
  rows = report_lib.rows(table)
  diffs = report_lib.differences(rows, 'vae')
  assert diffs == {(None, 'mnist5k', 'acai', None): {}}
  assert report_lib.differences_markdown(diffs, rows, 'vae') == ''


def test_paired_differences_of_item_rows():
  """Two methods' editing rows on the same 2 paths: transport keeps 1 more image of 3 on
  the second path for `split`, so its identity kept differs by 1/6 exactly."""
  table = {}
  for method, kept in (('atnl', [3, 1]), ('split', [3, 2])):
    for s in (0, 1):
      result = _viewpoint_result(s, kept)
      result['method'] = method
      table[f'{method}/seed{s}'] = {('viewpoint', 'test'): result}
  rows = report_lib.rows(table)
  diffs = report_lib.differences(rows, 'atnl')
  assert set(diffs) == {('viewpoint', 'rotated_mnist5k', 'split', op)
                        for op in ('transport', 'oracle', 'no-edit')} | {
                            (None, 'rotated_mnist5k', 'split', None)}
  mean, low, high = diffs[('viewpoint', 'rotated_mnist5k', 'split', 'transport')]['identity kept']
  assert mean == pytest.approx(1 / 6) and low <= mean <= high
  assert diffs[('viewpoint', 'rotated_mnist5k', 'split', 'transport')]['angle acc.'][0] == 0
  text = report_lib.differences_markdown(diffs, rows, 'atnl')
  assert 'viewpoint editing, paired differences to atnl' in text
  assert '| split | transport |' in text and 'within noise' in text


def test_item_rows_of_the_validation_split_are_named_so():
  result = _viewpoint_result(0, [3, 1])
  table = {'atnl/seed0': {('viewpoint', 'test'): result,
                          ('viewpoint', 'validation'): {**result, 'split': 'validation'}}}
  rows = report_lib.rows(table)
  assert ('viewpoint', 'rotated_mnist5k', 'atnl', 'transport') in rows
  assert ('viewpoint', 'rotated_mnist5k', 'atnl', 'transport (validation)') in rows
