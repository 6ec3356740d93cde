"""Process settings measured to make JAX on the CPU faster, applied by the programs only.

Importing jsemrep changes nothing in the process. The programs (train.main, eval.*,
bench.*) call `prepare_process()` as their first statement, before JAX is imported:

- XLA flags. jaxlib 0.10's XLA:CPU hands dots and convolutions to YNNPACK by
  default; on the 2-core CPU that made the atnl training step 10 % slower with the
  strided encoder and 37 % slower with the space-to-depth one (bench/train_step.py),
  so the programs turn it off and Eigen runs them. XLA aborts on a flag it does not
  know, so this is done only for the jaxlib versions where the flag was measured.
- Huge pages. A fresh XLA buffer is memory the kernel maps page by page on first
  touch: writing the 4 GB of a 10^6 x 16 x 64 slerp study took 1.9 s with 4 KiB
  pages and 0.6 s with glibc's malloc on transparent huge pages
  (GLIBC_TUNABLES=glibc.malloc.hugetlb=1), and the training step went from 110 to
  104 ms. glibc reads the tunable at process start, so the program restarts itself
  once with it set (before any heavy import, so the restart costs milliseconds).

Nothing is done unless the backend will be the CPU, on Linux, outside IPython,
Jupyter and debuggers (where a restart would replace the host process), and with
JSEMREP_CPU_TUNING unset or not 0. `decide` holds every rule and is pure.
"""

import importlib.metadata
import importlib.util
import os
import sys

CPU_FLAGS = {'xla_cpu_experimental_ynn_fusion_type': ''}
JAXLIB_WITH_FLAGS = ((0, 10), (0, 11))   # [low, high): versions where the flag was measured
HUGE_PAGES = 'glibc.malloc.hugetlb=1'
ACCELERATOR_PLUGINS = ('jax_cuda12_plugin', 'jax_cuda13_plugin', 'jax_rocm60_plugin',
                       'jax_rocm7_plugin', 'libtpu')
INTERACTIVE_MODULES = ('IPython', 'ipykernel', 'pydevd', 'debugpy', 'pdb')


def _version(text):
  return tuple(int(part) for part in text.split('.')[:2] if part.isdigit())


def with_cpu_flags(xla_flags, jaxlib_version):
  """XLA_FLAGS with CPU_FLAGS added where not already named (unchanged for jaxlib
  versions outside JAXLIB_WITH_FLAGS)."""
  low, high = JAXLIB_WITH_FLAGS
  if not low <= _version(jaxlib_version) < high:
    return xla_flags
  extra = [f'--{name}={value}' for name, value in CPU_FLAGS.items()
           if f'--{name}=' not in xla_flags]
  return ' '.join([xla_flags, *extra]).strip()


def with_huge_pages(environ):
  """The environment with glibc's huge-page tunable added, or None if it is set."""
  tunables = environ.get('GLIBC_TUNABLES', '')
  if 'glibc.malloc.hugetlb=' in tunables:
    return None
  return dict(environ, GLIBC_TUNABLES=':'.join(filter(None, [tunables, HUGE_PAGES])))


def decide(environ, platform, modules, tracing, jaxlib_version, accelerator_plugins):
  """(new environment or None, reason). A new environment means: restart the program
  with it. Pure: every input is passed in.

  environ: os.environ as a dict; platform: sys.platform; modules: names of imported
  modules; tracing: whether a debugger's trace function is set; jaxlib_version: the
  installed jaxlib's version string (None if absent); accelerator_plugins: installed
  GPU/TPU plugin packages.
  """
  if environ.get('JSEMREP_CPU_TUNING') == '0':
    return None, 'JSEMREP_CPU_TUNING=0'
  if not platform.startswith('linux'):
    return None, f'not Linux ({platform})'
  interactive = [m for m in INTERACTIVE_MODULES if m in modules]
  if interactive or tracing:
    return None, f'interactive or debugged ({", ".join(interactive) or "trace function"})'
  if 'jax' in modules:
    return None, 'jax is already imported: XLA flags could no longer take effect'
  platforms = environ.get('JAX_PLATFORMS', '')
  if platforms and platforms.split(',')[0] != 'cpu':
    return None, f'JAX_PLATFORMS={platforms}'
  if not platforms and accelerator_plugins:
    return None, f'an accelerator plugin is installed ({", ".join(accelerator_plugins)})'
  new = dict(environ)
  if jaxlib_version is not None:
    new['XLA_FLAGS'] = with_cpu_flags(environ.get('XLA_FLAGS', ''), jaxlib_version)
  new = with_huge_pages(new) or new
  if new == environ:
    return None, 'already applied'
  return new, 'CPU tuning'


def prepare_process():
  """Applies `decide` to this process: restarts it once with the CPU settings when
  they apply. Call first in a program's `__main__`, before importing JAX."""
  try:
    jaxlib_version = importlib.metadata.version('jaxlib')
  except importlib.metadata.PackageNotFoundError:
    jaxlib_version = None
  plugins = [p for p in ACCELERATOR_PLUGINS if importlib.util.find_spec(p) is not None]
  environ, _ = decide(dict(os.environ), sys.platform, set(sys.modules), sys.gettrace() is not None,
                      jaxlib_version, plugins)
  if environ is not None:
    os.execve(sys.executable, sys.orig_argv, environ)
