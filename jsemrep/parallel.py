"""Data parallelism: a 1-D `data` mesh and the shard_map wrapper of per-device steps.

Steps are written per device, pmap-style: each device computes on its slice of
the global batch and averages gradients with `lax.pmean(..., DATA_AXIS)`.
"""

import jax
import jax.numpy as jnp
from jax.experimental import multihost_utils
from jax.sharding import NamedSharding, PartitionSpec as P
import numpy as np

from jsemrep.errors import ConfigError

DATA_AXIS = 'data'


def make_mesh(num_devices=None):
  """A mesh over the first `num_devices` devices (all by default), axis `data`."""
  devices = jax.devices()
  num_devices = num_devices or len(devices)
  if num_devices > len(devices):
    raise ConfigError(f'config num_devices={num_devices} is not allowed: only {len(devices)} '
                      'devices are visible')
  return jax.make_mesh((num_devices,), (DATA_AXIS,), devices=devices[:num_devices])


def place(tree, sharding):
  """Puts host or single-device arrays on `sharding`. With several processes (multi-
  host) every process passes the same values and builds only its own devices' shards
  from them (jax.make_array_from_callback)."""
  if jax.process_count() == 1:
    return jax.device_put(tree, sharding)
  def one(x):
    x = np.asarray(x)
    return jax.make_array_from_callback(x.shape, sharding, lambda index: x[index])
  return jax.tree.map(one, tree)


def replicate(tree, mesh):
  """Places every array of `tree` whole on every device of the mesh."""
  return place(tree, NamedSharding(mesh, P()))


def to_host(tree):
  """Numpy copies of replicated arrays, read from this process's first shard (a
  multi-host array is not addressable as a whole from one process)."""
  def one(x):
    if isinstance(x, jax.Array) and not x.is_fully_addressable:
      return np.asarray(x.addressable_data(0))
    return np.asarray(x)
  return jax.tree.map(one, tree)


def is_primary():
  """Whether this is process 0: the one that prepares data, writes metrics and prints."""
  return jax.process_index() == 0


def barrier(name):
  """Waits until every process reaches `name` (nothing with a single process)."""
  if jax.process_count() > 1:
    multihost_utils.sync_global_devices(name)


def check_batch_size(batch_size, mesh):
  devices = mesh.shape[DATA_AXIS]
  if batch_size % devices:
    raise ConfigError(f'config batch_size={batch_size} is not allowed: it is not divisible by '
                      f'the {devices} devices of the data mesh')


REPLICATED = P()


def data_parallel(step, mesh, donate_state=True, dataset_spec=REPLICATED):
  """jit(shard_map(step)) for step(state, dataset, values) -> (state, metrics), state
  and values replicated, dataset laid out by `dataset_spec` (replicated by default);
  per-device results must be made identical by pmean."""
  sharded = jax.shard_map(step, mesh=mesh, in_specs=(P(), dataset_spec, P()),
                          out_specs=(P(), P()), check_vma=False)
  return jax.jit(sharded, donate_argnums=(0,) if donate_state else ())


def local_slice(global_size):
  """(start, size) of this device's slice of an axis of `global_size` (inside shard_map)."""
  devices = jax.lax.axis_size(DATA_AXIS)
  size = global_size // devices
  return jax.lax.axis_index(DATA_AXIS) * size, size


def stack(trees):
  """One tree of the trees' leaves stacked on a new leading (variant) axis."""
  return jax.tree.map(lambda *xs: jnp.stack(xs), *trees)


def member(tree, k):
  """The k-th tree of a stacked tree."""
  return jax.tree.map(lambda x: x[k], tree)
