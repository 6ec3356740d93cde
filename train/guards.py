"""What keeps a training run whole: one trainer per workdir, and a clean stop on
SIGTERM (preemption by SLURM, Kubernetes, TPU maintenance) or SIGINT (Ctrl-C)."""

import contextlib
import fcntl
import os
import signal

import jax

from jsemrep.errors import WorkdirBusyError

LOCK_FILE = 'train.lock'


@contextlib.contextmanager
def hold_workdir(workdir):
  """Holds an exclusive lock on DIR/train.lock while training.

  The lock is an flock, which the kernel releases when the process ends however
  it ends, so a crashed trainer never leaves the workdir locked; the file keeps
  the pid of the last holder for the message a second trainer gets.
  """
  os.makedirs(workdir, exist_ok=True)
  path = os.path.join(workdir, LOCK_FILE)
  fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
  try:
    try:
      fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
      holder = os.pread(fd, 32, 0).decode(errors='replace').strip() or '?'
      raise WorkdirBusyError(f'{workdir} is in use by another training process (pid {holder}, '
                             f'lock {path}); wait for it or use another --workdir') from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    yield
  finally:
    os.close(fd)


class StopSignals:
  """Within `with`, SIGTERM and SIGINT ask the loop to stop instead of killing it.

  `requested(step)` is polled after every step; on several processes (multi-host)
  the stop is agreed through JAX's preemption sync point so every process saves
  the same step.
  """
  SIGNALS = (signal.SIGTERM, signal.SIGINT)

  def __init__(self):
    self.name = None
    self._previous = {}

  def _handle(self, signum, frame):
    del frame
    self.name = signal.Signals(signum).name

  def __enter__(self):
    for sig in self.SIGNALS:
      self._previous[sig] = signal.signal(sig, self._handle)
    return self

  def __exit__(self, *exc):
    for sig, handler in self._previous.items():
      signal.signal(sig, handler)

  def requested(self, step):
    if jax.process_count() > 1:
      from jax.experimental import multihost_utils  # pylint: disable=import-outside-toplevel
      if multihost_utils.reached_preemption_sync_point(step):
        self.name = self.name or 'preemption notice'
    return self.name is not None
