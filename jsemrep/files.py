"""Files the project writes: every JSON record atomically, so that a crash or a
concurrent reader never sees half of one."""

import json
import os
import tempfile


def write_json(path, value, indent=1):
  """Writes value as JSON to path through a temporary file renamed over it."""
  directory = os.path.dirname(os.path.abspath(path))
  fd, tmp = tempfile.mkstemp(dir=directory, prefix='.' + os.path.basename(path), suffix='.tmp')
  try:
    with os.fdopen(fd, 'w', encoding='utf-8') as f:
      json.dump(value, f, indent=indent)
    os.replace(tmp, path)
  except BaseException:
    if os.path.exists(tmp):
      os.remove(tmp)
    raise
