"""Process settings measured to make JAX on the CPU faster: XLA flags and huge pages.

XLA flags. jaxlib 0.10's XLA:CPU hands dots and convolutions to YNNPACK by
default; on the 2-core CPU that made the atnl training step 10 % slower with the
strided encoder and 37 % slower with the space-to-depth one
(bench/train_step.py), so jsemrep turns it off and Eigen runs them. XLA reads
XLA_FLAGS once, when JAX creates its CPU backend, so the flags are added to the
environment when jsemrep is imported, before any computation; a flag that
XLA_FLAGS already names is left as the user set it. They concern the CPU only.

Huge pages. A fresh XLA buffer is memory the kernel maps page by page on first
touch: writing the 4 GB of a 10^6 x 16 x 64 slerp study took 1.9 s with 4 KiB
pages and 0.6 s with glibc's malloc on transparent huge pages
(GLIBC_TUNABLES=glibc.malloc.hugetlb=1), and the training step went from 110 to
104 ms. glibc reads the tunable at process start, so entry points call
`reexec_with_huge_pages()` first, which starts the same command again with it set.
"""

import importlib.metadata
import os
import sys

CPU_FLAGS = {'xla_cpu_experimental_ynn_fusion_type': ''}
MIN_JAXLIB = (0, 10)   # older jaxlibs may not know the flags, and XLA aborts on unknown ones
HUGE_PAGES = 'glibc.malloc.hugetlb=1'


def _version(text):
  return tuple(int(part) for part in text.split('.')[:2] if part.isdigit())


def with_cpu_flags(xla_flags, jaxlib_version):
  """XLA_FLAGS with CPU_FLAGS added where not already named."""
  if _version(jaxlib_version) < MIN_JAXLIB:
    return xla_flags
  extra = [f'--{name}={value}' for name, value in CPU_FLAGS.items()
           if f'--{name}=' not in xla_flags]
  return ' '.join([xla_flags, *extra]).strip()



def set_cpu_defaults(environ=os.environ):
  environ['XLA_FLAGS'] = with_cpu_flags(environ.get('XLA_FLAGS', ''),
                                        importlib.metadata.version('jaxlib'))


def with_huge_pages(environ):
  """The environment with glibc's huge-page tunable added, or None if it is set."""
  tunables = environ.get('GLIBC_TUNABLES', '')
  if 'glibc.malloc.hugetlb=' in tunables:
    return None
  return dict(environ, GLIBC_TUNABLES=':'.join(filter(None, [tunables, HUGE_PAGES])))


def reexec_with_huge_pages():
  """Replaces this process by the same command with huge pages on (Linux, once).

  JSEMREP_HUGE_PAGES=0 turns it off; so does setting glibc.malloc.hugetlb yourself.
  """
  if not sys.platform.startswith('linux') or os.environ.get('JSEMREP_HUGE_PAGES') == '0':
    return
  environ = with_huge_pages(os.environ)
  if environ is not None:
    os.execve(sys.executable, sys.orig_argv, environ)
