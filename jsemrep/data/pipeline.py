"""Datasets into memory, and the deterministic batch order of training."""

import functools
import glob
import hashlib
import json
import os
import shutil

import jax
import jax.numpy as jnp
import numpy as np
import tensorflow_datasets as tfds

from jsemrep.data import folder
from jsemrep.data.builders import BUILDERS
from jsemrep import errors
from jsemrep import files
from jsemrep.errors import DataError

SOURCE_RECORD = 'jsemrep_source.json'

DEFAULT_DATA_DIR = os.path.join(os.path.expanduser('~'), '.cache', 'jsemrep', 'datasets')


def data_dir_or_default(data_dir=None):
  return os.path.abspath(os.path.expanduser(
      data_dir or os.environ.get('JSEMREP_DATA_DIR') or DEFAULT_DATA_DIR))


def builder_class(name, options=None, manual_dir=None):
  """The builder of dataset `name`; `folder` with its FolderOptions and the directory of
  its class folders (jsemrep.data.folder)."""
  if name not in BUILDERS:
    raise DataError(f'unknown dataset {name!r}; known: {", ".join(sorted(BUILDERS))}')
  if name == 'folder':
    return folder.folder_builder(options or folder.FolderOptions(), manual_dir)
  if options:
    raise DataError(f'dataset {name} takes no folder options ({options})')
  return BUILDERS[name]


def builder(name, data_dir=None, options=None, manual_dir=None):
  return builder_class(name, options, manual_dir)(data_dir=data_dir_or_default(data_dir),
                                                  file_format='array_record')


def register(name, builder_cls):
  """Makes a tfds builder class (a jsemrep.data.base.ManualDirBuilder, its features
  uint8 `image` and int `label`) available as dataset `name` to every program and
  config (--config.data.name=NAME) of this process."""
  if name in BUILDERS:
    raise ValueError(f'a dataset {name!r} is registered already')
  BUILDERS[name] = builder_cls


class Records:
  """A prepared split read by random access from its ArrayRecord files (the tfds data
  source): `take(indices)` reads those examples only, so a split larger than memory can
  train (data.placement=host). `labels` (and `identity`, where recorded) are read once,
  in chunks, at opening; `image_shape` comes from the dataset's info."""

  # Examples decoded at once while reading the labels: 1,024 of 64x64x3 raised the peak
  # resident memory by 199 MB on a 32,000-image split, 128 by 14 MB (and took 1.1x as long).
  CHUNK = 128

  def __init__(self, source):
    self._source = source
    self.image_shape = tuple(source.dataset_info.features['image'].shape)
    fields = {}
    for start in range(0, len(source), self.CHUNK):
      for example in source.__getitems__(range(start, min(start + self.CHUNK, len(source)))):
        for name in ('label', 'identity'):
          if name in example:
            fields.setdefault(name, []).append(int(example[name]))
    self.labels = np.asarray(fields.get('label', []), np.int32)
    self.identity = np.asarray(fields['identity']) if 'identity' in fields else None

  def __len__(self):
    return len(self._source)

  def take(self, indices):
    """{'image', 'label'} of the examples at `indices` (read from the files)."""
    examples = self._source.__getitems__([int(i) for i in indices])
    return {'image': np.stack([e['image'] for e in examples]),
            'label': np.asarray([e['label'] for e in examples], np.int32)}


def records(name, split, data_dir=None, manual_dir=None, options=None):
  """The split as Records (random access from the prepared files, never all in memory)."""
  return Records(prepare(name, data_dir, manual_dir, options).as_data_source(split=split))


def options_of(data_spec):
  """The FolderOptions of a run's data (its spec's `data`, or a config's, whose classes
  are a comma-separated string), None for the other datasets."""
  if data_spec.name != 'folder':
    return None
  classes = data_spec.classes
  if isinstance(classes, str):
    classes = [c.strip() for c in classes.split(',') if c.strip()]
  return folder.FolderOptions(tuple(classes), data_spec.identity,
                              tuple(data_spec.image_size or ()))


def cache_name(name, options=None):
  """The name under which a dataset's prepared files and readers are kept."""
  return builder_class(name, options).name if name == 'folder' else name


def _file_digest(path):
  digest = hashlib.sha256()
  with open(path, 'rb') as f:
    for block in iter(lambda: f.read(1 << 20), b''):
      digest.update(block)
  return digest.hexdigest()


def _source_files(location):
  """(name relative to the source, absolute path) of every file of a source."""
  if os.path.isdir(location):
    return sorted((os.path.relpath(os.path.join(root, n), location), os.path.join(root, n))
                  for root, _, names in os.walk(location, followlinks=True) for n in names)
  if os.path.isfile(location):
    return [(os.path.basename(location), location)]
  return []


def source_record(location, known=None):
  """What a dataset was built from, by content: each file's relative name, size and
  SHA-256, and one digest over them all.

  The same bytes at another path (another clone, venv or symlink) or with another
  mtime are the same source; a changed byte is not. `known`, a record made earlier,
  spares hashing files whose resolved path, size and mtime it already lists.
  """
  seen = {(f['path'], f['size'], f['mtime_ns']): f['sha256']
          for f in (known or {}).get('files', ()) if isinstance(f, dict) and 'path' in f}
  files = []
  for name, path in _source_files(location):
    stat = os.stat(path)
    real = os.path.realpath(path)
    sha = seen.get((real, stat.st_size, stat.st_mtime_ns)) or _file_digest(path)
    files.append({'name': name, 'size': stat.st_size, 'sha256': sha, 'path': real,
                  'mtime_ns': stat.st_mtime_ns})
  content = hashlib.sha256(json.dumps(
      [[f['name'], f['size'], f['sha256']] for f in files]).encode()).hexdigest()
  return {'source': location, 'digest': content, 'files': files}


def _read_record(path):
  try:
    with open(path, encoding='utf-8') as f:
      return json.load(f)
  except (OSError, ValueError):
    return None


def _same_source(built, wanted):
  """Whether a stored record names the wanted content. Records written before
  content digests (version-less lists of name, size, mtime) match on names and sizes."""
  if 'digest' in built:
    return built['digest'] == wanted['digest']
  return sorted(f[:2] for f in built.get('files', ())) == sorted(
      [f['name'], f['size']] for f in wanted['files'])


def prepare(name, data_dir=None, manual_dir=None, options=None):
  """Builds the dataset's array_record files once (reused afterwards).

  The content of the source it was built from is recorded beside the files; asking
  for the same dataset from a source whose bytes differ (another manual dir, changed
  files) is a DataError saying which directory to delete to rebuild, rather than
  silently reading the old data. Any copy of the same bytes reuses the prepared files.
  """
  lock = os.path.join(data_dir_or_default(data_dir), f'.{cache_name(name, options)}.lock')
  with files.locked(lock):
    return _prepare(name, data_dir, manual_dir, options)


def _prepare(name, data_dir, manual_dir, options):
  """prepare, under the dataset's lock: a second process waits, then reuses the files."""
  b = builder(name, data_dir, options, manual_dir)
  b.manual_dir = os.path.abspath(manual_dir) if manual_dir else None
  record_path = os.path.join(b.data_dir, SOURCE_RECORD)
  built = _read_record(record_path) if os.path.exists(record_path) else None
  wanted = source_record(b.source_location(), known=built)
  if built is not None:
    if not _same_source(built, wanted):
      same_place = built.get('source') == wanted['source']
      raise DataError(
          f'{name} in {b.data_dir} was prepared from {built.get("source")}, but this run names '
          f'{wanted["source"]}, whose content differs{" (changed since)" if same_place else ""}; '
          f'delete {b.data_dir} to rebuild it, or use another --config.data.data_dir')
  if not os.path.exists(os.path.join(b.data_dir, 'dataset_info.json')):
    print(f'preparing {name} in {os.path.dirname(b.data_dir)} (once)', flush=True)
  tfds.disable_progress_bar()   # tfds' bars are a screenful of carriage returns in a log
  try:
    b.download_and_prepare(download_config=tfds.download.DownloadConfig(try_download_gcs=False))
  except errors.JsemrepError:   # the builders' own one-line errors (a missing manual dir)
    raise
  except (OSError, RuntimeError) as e:   # a full or read-only disk, deep inside tfds' writers
    for partial in glob.glob(os.path.join(os.path.dirname(b.data_dir), 'incomplete.*')):
      shutil.rmtree(partial, ignore_errors=True)
    raise DataError(f'preparing {name} in {os.path.dirname(b.data_dir)} failed: '
                    f'{errors.one_line(e)}; the partial files are removed: free space there, or '
                    'prepare it elsewhere with JSEMREP_DATA_DIR or --config.data.data_dir') from e
  if built != wanted:
    files.write_json(record_path, wanted)
  return b


def load(name, split, data_dir=None, manual_dir=None, options=None):
  """All examples of a split as numpy arrays: image (N, H, W, C) uint8, label (N,) int32.
  Prepared files that do not read back (truncated, changed, missing their info) are a
  DataError naming the directory to delete."""
  prepared = prepare(name, data_dir, manual_dir, options)
  try:
    source = prepared.as_data_source(split=split)
    examples = source.__getitems__(range(len(source)))
  except Exception as e:  # pylint: disable=broad-except
    where = os.path.join(data_dir_or_default(data_dir), cache_name(name, options))
    raise DataError(f'the prepared files of {name} in {where} do not read back '
                    f'({errors.one_line(e)}): delete {where} and they are prepared again') from e
  arrays = {k: np.stack([e[k] for e in examples]) for k in examples[0]}
  arrays['label'] = arrays['label'].astype(np.int32)
  return arrays


def num_classes(labels):
  return int(np.max(labels)) + 1


def version(name):
  """The builder version of a dataset (its splits and fields): '1.1.0', '1.2.0' ..."""
  return str(BUILDERS[name].VERSION)


def circular_labels(name):
  """Whether the dataset's classes form a ring (angle bins): a fact of its builder."""
  return bool(BUILDERS[name].CIRCULAR_LABELS)


FEISTEL_ROUNDS = 4


def _mix(x):
  """A 32-bit integer hash (the murmur3 finaliser): the Feistel round function."""
  x = (x ^ (x >> 16)) * jnp.uint32(0x85EBCA6B)
  x = (x ^ (x >> 13)) * jnp.uint32(0xC2B2AE35)
  return x ^ (x >> 16)


def _feistel(x, round_keys, half_bits):
  """A keyed bijection of [0, 4**half_bits): a balanced Feistel network."""
  mask = jnp.uint32((1 << half_bits) - 1)
  left, right = x >> half_bits, x & mask
  for i in range(FEISTEL_ROUNDS):
    left, right = right, left ^ (_mix(right ^ round_keys[i]) & mask)
  return (left << half_bits) | right


def shuffled_positions(key, positions, n):
  """The images of `positions` under a random permutation of [0, n) drawn from `key`.

  The permutation is a Feistel network over the smallest power of 4 >= n,
  cycle-walked back into [0, n) (Black & Rogaway 2002), so a batch costs
  O(batch) work: sorting a fresh permutation of all n examples every step
  took 35 ms of a 160 ms step at n = 60,000 on the 2-core CPU.
  """
  half_bits = max(1, (max(n - 1, 1).bit_length() + 1) // 2)
  round_keys = jax.random.bits(key, (FEISTEL_ROUNDS,), jnp.uint32)
  walk = lambda y: jnp.where(y >= n, _feistel(y, round_keys, half_bits), y)
  first = _feistel(jnp.asarray(positions, jnp.uint32), round_keys, half_bits)
  return jax.lax.while_loop(lambda y: jnp.any(y >= n), walk, first).astype(jnp.int32)


@functools.partial(jax.jit, static_argnames=('n', 'batch_size'))
def batch_indices(seed, step, n, batch_size):
  """Dataset indices of the global batch at `step`: a fresh permutation of the n
  examples per (seed, epoch), the last partial batch of an epoch dropped. Pure and
  jitted (one program per n and batch size: called from the host per step, unjitted
  it dispatched each operation and retraced the cycle walk, ~0.3 s a call), so a
  resumed run sees exactly the batches of an uninterrupted one."""
  steps_per_epoch = n // batch_size
  epoch, position = jnp.divmod(step, steps_per_epoch)
  positions = position * batch_size + jnp.arange(batch_size)
  return shuffled_positions(jax.random.fold_in(jax.random.PRNGKey(seed), epoch), positions, n)
