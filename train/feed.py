"""Where the training examples live and how each step gets its batch
(config.data.placement), all three giving the same batches in the same order:

- `device`: the whole split replicated on every device; the step gathers its batch
  (the fast default for small data);
- `sharded`: each device holds 1/N of the examples (the split padded to a multiple of
  N); the step gathers the batch from the shards with one psum over the data axis,
  so a split larger than one device's memory can train;
- `host`: a background thread gathers each step's global batch (from the same
  `batch_indices`) a few steps ahead and places it over the data axis, reading it from
  the prepared files by random access (jsemrep.data.Records: the split is never all in
  memory) or from arrays in host memory; each process reads only the rows its own
  devices hold, and the step gathers the whole batch on every device (one all_gather).
"""

import concurrent.futures
import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import NamedSharding, PartitionSpec as P

from jsemrep import data
from jsemrep import pairing
from jsemrep import parallel

PLACEMENTS = ('device', 'sharded', 'host')
PREFETCH = 2   # host batches prepared ahead of the step that uses them


def dataset_spec(placement):
  """The shard_map in_spec of the step's data argument."""
  return P(parallel.DATA_AXIS) if placement in ('sharded', 'host') else P()


def batch_from_shards(dataset, indices):
  """The examples at global `indices` of a dataset sharded in contiguous blocks over
  the data axis (inside shard_map): each device contributes the ones it holds."""
  num_local = dataset['image'].shape[0]
  mine = indices // num_local == jax.lax.axis_index(parallel.DATA_AXIS)
  local = jnp.where(mine, indices % num_local, 0)

  def take(array):
    values = array[local]
    held = mine.reshape(mine.shape + (1,) * (values.ndim - 1))
    return jax.lax.psum(jnp.where(held, values, jnp.zeros_like(values)), parallel.DATA_AXIS)
  return {name: take(array) for name, array in dataset.items()}


def global_batch(placement, dataset, seed, step, num_examples, batch_size, pairs=None):
  """Inside the step: the global batch at `step` from the step's data argument (what
  `Feed` placed): gathered from the replicated dataset or from its shards, or, with
  `host` placement, from the rows of the batch each device holds. pairs: the identity x class
  index table (jsemrep.pairing) of a method that cross-reconstructs; the batch then
  also holds each anchor's `same_image` and `donor_image`."""
  if placement == 'host':   # each device holds its rows of the batch
    return jax.tree.map(lambda rows: jax.lax.all_gather(rows, parallel.DATA_AXIS, tiled=True),
                        dataset)
  indices = data.batch_indices(seed, step, num_examples, batch_size)
  gather = (functools.partial(batch_from_shards, dataset) if placement == 'sharded' else
            lambda at: {name: array[at] for name, array in dataset.items()})
  examples = gather(indices)
  if pairs is not None:
    same, donor = pairing.partners(pairs, examples['identity_row'], examples['label'], seed, step)
    examples['same_image'] = gather(same)['image']
    examples['donor_image'] = gather(donor)['image']
  return examples


class Feed:
  """feed(step) -> the data argument of the training step at `step`: the placed
  dataset (device, sharded: any seed and batch size), or this step's global batch
  gathered on the host (host: one seed's batch order)."""

  def __init__(self, arrays, placement, mesh, seed=None, batch_size=None):
    self.placement = placement
    self.num_examples = len(arrays) if hasattr(arrays, 'take') else len(arrays['label'])
    if placement == 'device':
      self._placed = parallel.replicate(arrays, mesh)
    elif placement == 'sharded':
      devices = mesh.shape[parallel.DATA_AXIS]
      pad = -self.num_examples % devices
      padded = {k: np.concatenate([v, np.zeros((pad, *v.shape[1:]), v.dtype)])
                for k, v in arrays.items()}
      self._placed = parallel.place(padded, NamedSharding(mesh, dataset_spec(placement)))
    elif placement == 'host':
      self._arrays, self._mesh = arrays, mesh
      self._seed, self._batch_size = seed, batch_size
      self._pool = concurrent.futures.ThreadPoolExecutor(1)
      self._pending = {}
    else:
      raise ValueError(f'data.placement must be one of {PLACEMENTS}, got {placement!r}')

  def _host_batch(self, step):
    """The batch at `step` over the data axis, of which this process reads (from the
    files or from memory) only the rows its own devices hold."""
    indices = np.asarray(data.batch_indices(self._seed, step, self.num_examples,
                                            self._batch_size))
    sharding = NamedSharding(self._mesh, P(parallel.DATA_AXIS))
    rows = [index[0] for index in sharding.addressable_devices_indices_map(indices.shape).values()]
    start, stop = min(r.start or 0 for r in rows), max(r.stop or len(indices) for r in rows)
    if hasattr(self._arrays, 'take'):   # Records: read from the files
      mine = self._arrays.take(indices[start:stop])
    else:
      mine = {k: v[indices[start:stop]] for k, v in self._arrays.items()}
    return {k: jax.make_array_from_callback(
        (len(indices), *v.shape[1:]), sharding,
        lambda index, v=v: v[(index[0].start or 0) - start:(index[0].stop or len(indices)) - start])
            for k, v in mine.items()}

  def __call__(self, step):
    if self.placement != 'host':
      return self._placed
    for ahead in range(step, step + PREFETCH + 1):
      if ahead not in self._pending:
        self._pending[ahead] = self._pool.submit(self._host_batch, ahead)
    return self._pending.pop(step).result()

  def close(self):
    if self.placement == 'host':
      self._pool.shutdown(cancel_futures=True)
