"""Reading the IDX files of MNIST and Fashion-MNIST (gzipped or raw)."""

import gzip
import os

import numpy as np

from jsemrep.errors import DataError

IMAGES_MAGIC = 2051
LABELS_MAGIC = 2049


def read_idx(path, magic):
  """The array in an IDX file whose header must carry `magic`.

  Raises DataError naming the file when the header or size is wrong.
  """
  opener = gzip.open if os.fspath(path).endswith('.gz') else open
  try:
    with opener(path, 'rb') as f:
      data = f.read()
  except (OSError, EOFError) as e:
    raise DataError(f'{path}: cannot read as an IDX file ({e})') from e
  found = int.from_bytes(data[:4], 'big') if len(data) >= 4 else None
  if found != magic:
    raise DataError(
        f'{path}: not an IDX {"image" if magic == IMAGES_MAGIC else "label"} file: '
        f'magic number {found}, expected {magic}')
  ndim = magic & 0xFF
  dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], 'big') for i in range(ndim)]
  body = np.frombuffer(data, np.uint8, offset=4 + 4 * ndim)
  if body.size != int(np.prod(dims)):
    raise DataError(f'{path}: header says shape {dims} but holds {body.size} bytes')
  return body.reshape(dims)


def write_idx(path, array):
  """Writes a uint8 array as an IDX file (gzipped if path ends in .gz); for fixtures."""
  array = np.asarray(array, np.uint8)
  magic = 0x0800 | array.ndim
  header = magic.to_bytes(4, 'big') + b''.join(d.to_bytes(4, 'big') for d in array.shape)
  opener = gzip.open if os.fspath(path).endswith('.gz') else open
  with opener(path, 'wb') as f:
    f.write(header + array.tobytes())
