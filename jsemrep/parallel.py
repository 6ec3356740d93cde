"""Data parallelism: a 1-D `data` mesh and the shard_map wrapper of per-device steps.

Steps are written per device, pmap-style: each device computes on its slice of
the global batch and averages gradients with `lax.pmean(..., DATA_AXIS)`.
"""

import jax
from jax.sharding import NamedSharding, PartitionSpec as P

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


def replicate(tree, mesh):
  """Places every array of `tree` whole on every device of the mesh."""
  return jax.device_put(tree, NamedSharding(mesh, P()))


def check_batch_size(batch_size, mesh):
  devices = mesh.shape[DATA_AXIS]
  if batch_size % devices:
    raise ConfigError(f'config batch_size={batch_size} is not allowed: it is not divisible by '
                      f'the {devices} devices of the data mesh')


def data_parallel(step, mesh, donate_state=True, num_args=3):
  """jit(shard_map(step)) for step(state, dataset, ...) -> (state, metrics), every
  argument replicated; per-device results must be made identical by pmean."""
  sharded = jax.shard_map(step, mesh=mesh, in_specs=(P(),) * num_args, out_specs=(P(), P()),
                          check_vma=False)
  return jax.jit(sharded, donate_argnums=(0,) if donate_state else ())


def local_slice(global_size):
  """(start, size) of this device's slice of an axis of `global_size` (inside shard_map)."""
  devices = jax.lax.axis_size(DATA_AXIS)
  size = global_size // devices
  return jax.lax.axis_index(DATA_AXIS) * size, size
