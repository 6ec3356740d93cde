"""Timing helpers for the benchmarks: median of repeats after warm-up."""

import statistics
import time

import jax
import jax.numpy as jnp


def median_seconds(fn, repeats=5, warmup=1):
  """Median wall time of fn() (which must block on its result) over repeats."""
  for _ in range(warmup):
    fn()
  times = []
  for _ in range(repeats):
    start = time.perf_counter()
    fn()
    times.append(time.perf_counter() - start)
  return statistics.median(times)


def matmul_peak_gflops(n=2048, repeats=5):
  """Measured float32 matmul throughput of the default device, GFLOP/s."""
  a = jax.random.normal(jax.random.PRNGKey(0), (n, n))
  b = jax.random.normal(jax.random.PRNGKey(1), (n, n))
  dot = jax.jit(jnp.dot)
  seconds = median_seconds(lambda: dot(a, b).block_until_ready(), repeats)
  return 2 * n ** 3 / seconds / 1e9


def compiled_flops(jitted, *args):
  """FLOPs of one call of a jitted function, from XLA's cost analysis (None if unknown)."""
  analysis = jitted.lower(*args).compile().cost_analysis()
  if isinstance(analysis, list):
    analysis = analysis[0] if analysis else {}
  return analysis.get('flops') if analysis else None
