"""Files the project writes: every JSON record and report atomically, so that a crash or a
concurrent reader never sees half of one, and locks for caches that several processes
share."""

import contextlib
import errno
import fcntl
import json
import os
import tempfile


def _umask():
  mask = os.umask(0)
  os.umask(mask)
  return mask


def write_text(path, text):
  """Writes text to path through a temporary file renamed over it, with the permissions
  a plain open() would give (mkstemp's are the owner's alone: others sharing a cache
  could not read it)."""
  directory = os.path.dirname(os.path.abspath(path))
  fd, tmp = tempfile.mkstemp(dir=directory, prefix='.' + os.path.basename(path), suffix='.tmp')
  try:
    os.fchmod(fd, 0o666 & ~_umask())
    with os.fdopen(fd, 'w', encoding='utf-8') as f:
      f.write(text)
    os.replace(tmp, path)
  except BaseException:
    if os.path.exists(tmp):
      os.remove(tmp)
    raise


def write_json(path, value, indent=1):
  """Writes value as JSON to path through a temporary file renamed over it."""
  write_text(path, json.dumps(value, indent=indent))


@contextlib.contextmanager
def locked(path):
  """An exclusive flock on the file `path` (created with its directory) while the block
  runs: processes sharing a cache on one filesystem take turns; the kernel frees the
  lock of a process that dies. Where the file cannot be created (a read-only cache),
  the block runs unlocked."""
  try:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
  except OSError as e:
    if e.errno not in (errno.EACCES, errno.EROFS, errno.EPERM, errno.ENOTDIR):
      raise
    yield   # a read-only cache: nothing can be written to it, so nothing to guard
    return
  try:
    fcntl.flock(fd, fcntl.LOCK_EX)
    yield
  finally:
    os.close(fd)
