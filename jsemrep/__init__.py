"""jsemrep: semantics-guided representation learning (ATNL-VAE) in JAX/Flax.

The public API is listed in `__all__`. Importing jsemrep has no side effects on
the process and imports JAX only when an API name is first used, so programs can
call `jsemrep.runtime.prepare_process()` before JAX is imported.
"""

import importlib

__version__ = '0.2.0'   # the package's; datasets and readers carry versions of their own

_API = {
    'load_run': 'jsemrep.runs', 'Run': 'jsemrep.runs',
    'normalize': 'jsemrep.sphere', 'angle': 'jsemrep.sphere', 'lerp': 'jsemrep.sphere',
    'slerp': 'jsemrep.sphere', 'slerp_path': 'jsemrep.sphere',
    'direct_paths_batch': 'jsemrep.sphere', 'semantic_paths_batch': 'jsemrep.sphere',
    'class_prototypes': 'jsemrep.sphere', 'spherical_mean': 'jsemrep.sphere',
    'reconstruction': 'jsemrep.losses', 'kl_divergence': 'jsemrep.losses',
    'angular_triplet_neighbor': 'jsemrep.losses', 'facenet_triplet': 'jsemrep.losses',
    'label_distance': 'jsemrep.losses',
}
__all__ = sorted(_API)


def __getattr__(name):
  if name not in _API:
    raise AttributeError(f'module jsemrep has no attribute {name!r}')
  return getattr(importlib.import_module(_API[name]), name)


def __dir__():
  return __all__
