"""eval.report's grouping of sweeps and its viewpoint-editing table."""

import os

from eval import report


def test_sweep_axes_are_groups_named_key_equals_value():
  groups = {'sw/atn.margin=0.9': {}, 'sw/atn.margin=0.6': {}, 'sw/atn.margin=1.2': {},
            'other/seed0': {}, 'single/atn.margin=0.9': {}}
  assert report.sweep_axes(groups) == {('sw', 'atn.margin'): [
      (0.6, 'sw/atn.margin=0.6'), (0.9, 'sw/atn.margin=0.9'), (1.2, 'sw/atn.margin=1.2')]}


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
  rows = report.item_rows(table)
  assert set(rows) == {('viewpoint', 'rotated_mnist5k', 'atnl', op)
                       for op in ('transport', 'oracle', 'no-edit')}
  transport = rows[('viewpoint', 'rotated_mnist5k', 'atnl', 'transport')]
  assert transport['seeds'] == 2
  assert transport['columns']['angle acc.'][0] == 5 / 6
  assert transport['columns']['identity kept'][0] == (4 / 6 + 6 / 6) / 2
  assert 'angle acc.' not in rows[('viewpoint', 'rotated_mnist5k', 'atnl', 'oracle')]['columns']
  text = report.item_markdown(rows)
  assert '### rotated_mnist5k: viewpoint editing' in text
  assert "| atnl | atnl (ordinal: this project's reading) | transport | 2 | 0.833" in text
