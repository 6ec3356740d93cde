"""Errors whose message is the whole story: the programs print them as one line.

Each names what was wrong, the value or file, and what to do instead; the programs
(train.main, eval.*) print `error: MESSAGE` and exit with status 1 (2 for a bad
config), without a traceback.
"""


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
