"""Datasets: tfds builders and the in-memory input pipeline.

Names are imported on first use, so `jsemrep.data.line_geometry` and
`jsemrep.data.idx` can be used without importing tensorflow-datasets.
"""

import importlib

_API = {name: 'jsemrep.data.pipeline' for name in (
    'batch_indices', 'cache_name', 'circular_labels', 'load', 'num_classes', 'prepare', 'records', 'register',
    'shuffled_positions', 'version', 'options_of')}
_API['FolderOptions'] = 'jsemrep.data.folder'
__all__ = sorted(_API)


def __getattr__(name):
  if name not in _API:
    raise AttributeError(f'module jsemrep.data has no attribute {name!r}')
  return getattr(importlib.import_module(_API[name]), name)
