import os
import re
import subprocess
import sys

from jsemrep import runtime

FLAG = '--xla_cpu_experimental_ynn_fusion_type='
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_cpu_flags_are_added_beside_the_users_flags():
  flags = runtime.with_cpu_flags('--xla_force_host_platform_device_count=4', '0.10.2')
  assert flags.split() == ['--xla_force_host_platform_device_count=4', FLAG]


def test_a_flag_the_user_set_is_kept():
  assert runtime.with_cpu_flags(f'{FLAG}individual_dot', '0.10.2') == f'{FLAG}individual_dot'


def test_jaxlibs_where_the_flag_was_not_measured_get_no_flags():
  assert runtime.with_cpu_flags('--x=1', '0.8.0') == '--x=1'
  assert runtime.with_cpu_flags('--x=1', '0.11.0') == '--x=1'


def test_huge_pages_are_added_once_beside_other_tunables():
  environ = runtime.with_huge_pages({'GLIBC_TUNABLES': 'glibc.malloc.arena_max=2', 'A': '1'})
  assert environ == {'GLIBC_TUNABLES': 'glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1', 'A': '1'}
  assert runtime.with_huge_pages(environ) is None
  assert runtime.with_huge_pages({'GLIBC_TUNABLES': 'glibc.malloc.hugetlb=0'}) is None


def _decide(environ=None, platform='linux', modules=(), tracing=False, jaxlib='0.10.2',
            plugins=()):
  return runtime.decide(dict(environ or {}), platform, set(modules), tracing, jaxlib, list(plugins))


def test_the_launcher_tunes_a_plain_cpu_program_once():
  environ, _ = _decide({'XLA_FLAGS': '--a=1'})
  assert environ == {'XLA_FLAGS': f'--a=1 {FLAG}', 'GLIBC_TUNABLES': 'glibc.malloc.hugetlb=1'}
  assert _decide(environ) == (None, 'already applied')
  assert _decide({}, jaxlib='0.12.0')[0] == {'GLIBC_TUNABLES': 'glibc.malloc.hugetlb=1',
                                             'XLA_FLAGS': ''}


def test_the_launcher_leaves_other_situations_alone():
  assert _decide({'JSEMREP_CPU_TUNING': '0'}) == (None, 'JSEMREP_CPU_TUNING=0')
  assert _decide(platform='darwin')[1] == 'not Linux (darwin)'
  assert _decide(modules=['IPython'])[1] == 'interactive or debugged (IPython)'
  assert _decide(modules=['ipykernel'])[0] is None
  assert _decide(tracing=True)[1] == 'interactive or debugged (trace function)'
  assert _decide(modules=['jax'])[0] is None
  assert _decide({'JAX_PLATFORMS': 'cuda'})[1] == 'JAX_PLATFORMS=cuda'
  assert _decide(plugins=['jax_cuda12_plugin'])[0] is None
  assert _decide({'JAX_PLATFORMS': 'cpu'}, plugins=['jax_cuda12_plugin'])[0] is not None


def test_importing_jsemrep_changes_no_environment_and_imports_no_jax():
  code = ('import os, sys; e = dict(os.environ); import jsemrep, jsemrep.runtime; '
          'assert dict(os.environ) == e; assert "jax" not in sys.modules; '
          'jsemrep.slerp; assert "jax" in sys.modules')
  subprocess.run([sys.executable, '-c', code], check=True, cwd=ROOT,
                 env=dict(os.environ, PYTHONPATH=ROOT))


def test_the_cpu_tuning_covers_the_jaxlib_the_lock_pins():
  """The XLA flag was measured on one jaxlib line: the locked environment must be on it."""
  lock = open(os.path.join(ROOT, 'requirements.lock'), encoding='utf-8').read()
  pinned = re.search(r'^jaxlib==([\d.]+)', lock, re.M).group(1)
  assert runtime.with_cpu_flags('', pinned) != ''
  assert re.search(r'^jax==' + re.escape(pinned), lock, re.M)   # jax and jaxlib move together
