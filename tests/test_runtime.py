from jsemrep import runtime

FLAG = '--xla_cpu_experimental_ynn_fusion_type='


def test_cpu_flags_are_added_beside_the_users_flags():
  flags = runtime.with_cpu_flags('--xla_force_host_platform_device_count=4', '0.10.2')
  assert flags.split() == ['--xla_force_host_platform_device_count=4', FLAG]
  assert runtime.with_cpu_flags('', '0.11.0') == FLAG


def test_a_flag_the_user_set_is_kept():
  assert runtime.with_cpu_flags(f'{FLAG}individual_dot', '0.10.2') == f'{FLAG}individual_dot'


def test_older_jaxlib_gets_no_flags():
  assert runtime.with_cpu_flags('--x=1', '0.8.0') == '--x=1'


def test_set_cpu_defaults_writes_the_environment(monkeypatch):
  environ = {'XLA_FLAGS': '--a=1'}
  monkeypatch.setattr(runtime.importlib.metadata, 'version', lambda name: '0.10.2')
  runtime.set_cpu_defaults(environ)
  assert environ['XLA_FLAGS'] == f'--a=1 {FLAG}'


def test_huge_pages_are_added_once_beside_other_tunables():
  environ = runtime.with_huge_pages({'GLIBC_TUNABLES': 'glibc.malloc.arena_max=2', 'A': '1'})
  assert environ == {'GLIBC_TUNABLES': 'glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1', 'A': '1'}
  assert runtime.with_huge_pages(environ) is None
  assert runtime.with_huge_pages({'GLIBC_TUNABLES': 'glibc.malloc.hugetlb=0'}) is None
  assert runtime.with_huge_pages({}) == {'GLIBC_TUNABLES': 'glibc.malloc.hugetlb=1'}
