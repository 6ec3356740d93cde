"""Paired examples for cross-reconstruction (the split latent, jsemrep.split): for an
anchor x(u, i), identity u at class i, the same identity at another class j, x(u, j),
and a donor x(u', j), another identity at class j. Drawn inside the jitted step from an
identity x class index table of the training split, as pure functions of seed, step and
the anchor's place in the global batch (like the batch order), so any device count
draws the same pairs."""

import jax
import jax.numpy as jnp
import numpy as np

PAIRING_SALT = 0x5041   # folded into the step's key: pairs draw apart from every loss term


def index_table(identity, label, num_classes):
  """(rows (N,), table (U, K)): each example's identity row (-1 for an example
  without identity) and the example index of identity row u at class k (-1 where the
  identity lacks that class; the last example where it repeats one).

  identity: (N,) ints, negative where unknown; label: (N,) classes in [0, K)."""
  identity = np.asarray(identity)
  ids, rows = np.unique(identity, return_inverse=True)
  known = ids >= 0
  remap = np.full(len(ids), -1, np.int64)
  remap[known] = np.arange(known.sum())
  rows = remap[rows]
  table = np.full((int(known.sum()), num_classes), -1, np.int32)
  has = rows >= 0
  table[rows[has], np.asarray(label)[has]] = np.flatnonzero(has)
  return rows.astype(np.int32), table


def _draw(key, allowed):
  """A uniform index among the True entries of `allowed` (the first entry if none is)."""
  return jnp.argmax(jnp.where(allowed, jax.random.gumbel(key, allowed.shape), -jnp.inf))


def partners_of_one(key, table, row, label):
  """(same, donor) example indices of one anchor of identity row `row` at class `label`:
  same = the identity at a class j != label drawn among those it has (the anchor
  itself if it has no other), donor = another identity at j (the same example if no
  other identity has j)."""
  k_class, k_donor = jax.random.split(key)
  num_identities, num_classes = table.shape
  own = table[row]
  other_classes = (own >= 0) & (jnp.arange(num_classes) != label)
  j = jnp.where(other_classes.any(), _draw(k_class, other_classes), label)
  others = (table[:, j] >= 0) & (jnp.arange(num_identities) != row)
  donor_row = jnp.where(others.any(), _draw(k_donor, others), row)
  return own[j], table[donor_row, j]


def partners(table, rows, labels, seed, step):
  """(same (B,), donor (B,)) example indices for the anchors of a global batch whose
  identity rows and classes are rows, labels (B,): a pure function of seed, step and
  each anchor's position."""
  key = jax.random.fold_in(jax.random.fold_in(jax.random.PRNGKey(seed), step), PAIRING_SALT)
  keys = jax.vmap(lambda i: jax.random.fold_in(key, i))(jnp.arange(rows.shape[0]))
  return jax.vmap(partners_of_one, in_axes=(0, None, 0, 0))(keys, table, rows, labels)
