"""The state a training step carries."""

import flax
import jax


@flax.struct.dataclass
class TrainState:
  """Everything that changes during training: step, each player's params and
  optimiser state (player 'vae', plus 'critic' for two-player methods)."""
  step: jax.Array
  params: dict
  opt_state: dict
