"""jsemrep: semantics-guided representation learning (ATNL-VAE) in JAX/Flax.

Importing the package sets the XLA:CPU flags of jsemrep/runtime.py.
"""

from jsemrep import runtime as _runtime

_runtime.set_cpu_defaults()
