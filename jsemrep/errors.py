"""Errors whose message is the whole story: the programs print them as one line.

Each names what was wrong, the value or file, and what to do instead; the programs
(train.main, eval.*) print `error: MESSAGE` and exit with status 1 (2 for a bad
config), without a traceback.
"""

import errno
import os
import re
import sys

DISK_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EIO)


class JsemrepError(Exception):
  """A user-facing failure with a complete one-line message."""
  exit_code = 1


class ConfigError(JsemrepError, ValueError):
  """A config value that is not allowed, found before anything is loaded or written."""
  exit_code = 2


class DataError(JsemrepError, ValueError):
  """A dataset source that is malformed or does not match what was prepared."""


class MissingDataError(JsemrepError, FileNotFoundError):
  """A dataset source that is not where it should be."""


class CheckpointError(JsemrepError):
  """A checkpoint that cannot be written or read."""


class WorkdirBusyError(JsemrepError):
  """Another training process holds the workdir."""


class DivergedError(JsemrepError, FloatingPointError):
  """Training produced a non-finite loss or state, or its codes collapsed."""


def one_line(error):
  """One line of an error: the system's reason where an OSError lies anywhere in its
  chain or text (a full disk deep inside Orbax and TensorStore), else its first line."""
  cause = error
  while cause is not None:
    if isinstance(cause, OSError) and cause.strerror:
      return f'{type(cause).__name__}: [Errno {cause.errno}] {cause.strerror}'
    cause = cause.__cause__ or cause.__context__
  reason = re.search(r'\[Errno \d+\] [^\n\[\]\'"]+', str(error))
  if reason:
    return f'{type(error).__name__}: {reason.group(0).strip()}'
  code = re.search(r"os_error_code='?(\d+)", str(error))   # TensorStore's own wording
  if code:
    return f'{type(error).__name__}: [Errno {code.group(1)}] {os.strerror(int(code.group(1)))}'
  for number in DISK_ERRNOS:   # the system's words inside a library's message (tfds' writers)
    if os.strerror(number) in str(error):
      return f'{type(error).__name__}: [Errno {number}] {os.strerror(number)}'
  text = str(error).strip().splitlines()
  return f'{type(error).__name__}: {text[0] if text else ""}'[:300]


def os_error_line(error):
  """An OSError as one line: what failed, on which file, with the system's reason."""
  where = f' ({error.filename})' if error.filename else ''
  return f'{type(error).__name__}: {error.strerror or error}{where}'


def quiet_exit(code):
  """Exits at once, the error (or stop) line the last one: everything is saved and
  closed by then, and Orbax's asyncio loops, torn down at interpreter exit, would print
  tracebacks of their own after it."""
  sys.stdout.flush()
  sys.stderr.flush()
  os._exit(code)  # pylint: disable=protected-access
