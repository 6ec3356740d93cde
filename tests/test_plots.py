"""The figures' layout."""

import numpy as np

from jsemrep import plots


def test_mosaic_places_each_image_in_its_row_and_column_with_white_gaps():
  gray = [np.full((2, 3, 1), 0.25), np.full((2, 3, 1), 0.5)]
  rgb = [np.stack([np.zeros((2, 3)), np.ones((2, 3)), np.full((2, 3), 2.0)], -1)]
  out = plots.mosaic([('a', gray), ('b', rgb)], gap=1)
  assert out.shape == (5, 7, 3)
  np.testing.assert_array_equal(out[0:2, 0:3], 0.25)        # gray kept, on every channel
  np.testing.assert_array_equal(out[0:2, 4:7], 0.5)
  np.testing.assert_array_equal(out[3:5, 0:3], np.array([0, 1, 1.0]) * np.ones((2, 3, 3)))  # clipped
  np.testing.assert_array_equal(out[2], 1)                   # the gap between rows
  np.testing.assert_array_equal(out[:, 3], 1)                # and between columns
  np.testing.assert_array_equal(out[3:5, 4:7], 1)            # a short row ends in white


def test_image_rows_writes_a_png(tmp_path):
  path = tmp_path / 'rows.png'
  plots.image_rows([('x', np.zeros((4, 8, 8, 1)))] * 3, path, 'title')
  assert path.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
