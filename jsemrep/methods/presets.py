"""Methods as presets: which named loss terms, with which weights, and which networks;
`bind` turns the resolved specs of runs stepped together into what the step calls."""

from typing import Any, Dict, NamedTuple, Optional

import optax

from jsemrep import models
from jsemrep.errors import ConfigError
from jsemrep.methods import critics as critics_lib
from jsemrep.methods import terms as terms_lib


class Method(NamedTuple):
  terms: tuple                     # the autoencoder's loss terms
  critic: Optional[critics_lib.Critic] = None  # the second player, if any
  stochastic: bool = True          # sample z (VAE) or take z = mu (plain autoencoder)
  paired: bool = False             # batches carry same-identity and donor images (`cross`)
  conditional: bool = False        # the class enters the decoder as a learned embedding (s)
  weights: tuple = ()              # (term, weight) over the term's registered default

  @property
  def split(self):
    """Whether the method splits the latent into s and c (needs model.semantic_dims)."""
    return self.paired or self.conditional or (self.critic is not None and self.critic.reads_c)


# The weight that harmed least in atnl_split's trial on rotated_mnist5k's validation split
# (1 of 1 and 10, one seed: docs/choices.md); fader itself is not yet chosen on validation.
FADER_C_INVARIANCE = 1.0

PRESETS = {
    'vae': Method(('rec', 'kl')),
    'aae': Method(('rec', 'adv'), critics_lib.LATENT_GAN, stochastic=False),
    'acai': Method(('rec', 'adv'), critics_lib.ACAI_LERP, stochastic=False),
    'triplet': Method(('rec', 'kl', 'triplet')),
    'triplet_ordinal': Method(('rec', 'kl', 'ordinal_triplet')),
    'atnl': Method(('rec', 'kl', 'atn')),
    'atnl_adv': Method(('rec', 'kl', 'atn', 'adv'), critics_lib.ACAI_SLERP),
    'vaegan': Method(('rec', 'kl', 'adv'), critics_lib.IMAGE_GAN),
    # The split latent (model.semantic_dims > 0) trained by cross-reconstruction of
    # paired identities; `split` is the ablation without ATN on s.
    'atnl_split': Method(('rec', 'kl', 'atn', 'cross'), paired=True),
    'split': Method(('rec', 'kl', 'cross'), paired=True),
    # The split latent without pairs (mnist5k, fashion, lines): ATN on s, and a class
    # adversary on c in place of cross-reconstruction.
    'atnl_split_adv': Method(('rec', 'kl', 'atn', 'adv'), critics_lib.CLASS_ADVERSARY),
    # The conditional baseline: the encoder gives c, the class enters the decoder as a
    # learned embedding in place of s (CVAE; DR-GAN's pose code).
    'cvae': Method(('rec', 'kl'), conditional=True),
    # cvae with c emptied of the class by c_invariance over paired identities (the
    # conditional family done fairly: Fader Networks' aim, by the pairs' direct lever).
    'fader': Method(('rec', 'kl', 'c_invariance'), paired=True, conditional=True,
                    weights=(('c_invariance', FADER_C_INVARIANCE),)),
}


def method(name):
  if name not in PRESETS:
    raise ConfigError(f'unknown method {name!r}; known: {", ".join(sorted(PRESETS))}')
  return PRESETS[name]


def _term_table(preset):
  """{term: (function, default weight)} of a preset: the registered defaults, over which
  the preset's own weights go."""
  table = {name: terms_lib.TERMS[name] for name in preset.terms if name != 'adv'}
  for name, weight in preset.weights:
    table[name] = (table[name][0], weight)
  if preset.critic is not None:
    table['adv'] = (preset.critic.generator_term, preset.critic.weight)
  return table


def effective_weights(method_name, given):
  """((term, weight), ...) a method computes, sorted: its preset terms at the given
  weights over their defaults, plus registered terms given a weight. A preset term of
  weight 0 stays, multiplied by 0 (computed and logged), so a run at weight 0 is the
  same computation as a sweep's variant at 0; an extra term of weight 0 is left out.
  given: {term: weight or None (the default)}."""
  preset = method(method_name)
  table = _term_table(preset)
  for name, value in given.items():
    if value is not None and name not in table:
      if name not in terms_lib.TERMS:
        raise ConfigError(f'config loss.weights.{name}={value!r} is not allowed: no loss term '
                          f'{name!r} is registered (known: {", ".join(sorted(terms_lib.TERMS))})')
      table[name] = terms_lib.TERMS[name]
  for name in terms_lib.PAIRED:
    if name in table and not preset.paired and (given.get(name) or 0) > 0:
      raise ConfigError(f'config loss.weights.{name} is not allowed for method {method_name}: '
                        f'{name} reads paired identities, which only a split method draws '
                        f'({", ".join(n for n, m in sorted(PRESETS.items()) if m.paired)})')
  weights = {}
  for name, (_, default) in table.items():
    value = given.get(name)
    weight = float(default if value is None else value)
    if weight != 0.0 or name in preset.terms:
      weights[name] = weight
  return tuple(sorted(weights.items()))


def uses_labels(spec):
  """Whether the run's loss reads class labels (tables mark it)."""
  return any(spec.loss.weight(name) > 0 for name in terms_lib.LABELLED)


class Bound(NamedTuple):
  """The method of runs stepped together, bound once outside the traced step: the
  model, every term any of them computes (each run weights them by its knobs), the
  critic and one optimiser per player."""
  model: Any                  # the VAE (flax module)
  terms: Dict[str, Any]       # {name: term function}
  critic: Optional[critics_lib.Critic]
  critic_net: Optional[Any]   # the critic's flax module
  txs: Dict[str, Any]         # {player: optax transformation, without its learning rate}
  stochastic: bool
  paired: bool
  conditional: bool


def adam_direction(b1=0.9):
  """Adam's update before its learning rate, its state laid out as optax.adam's (so
  checkpoints are alike): the step scales it by the learning-rate knob, so a sweep
  over learning rates compiles once."""
  return optax.chain(optax.scale_by_adam(b1=b1), optax.scale_by_learning_rate(None))


def bind(specs):
  """The Bound method of `specs`, runs of one static spec (their knobs may differ)."""
  spec = specs[0]
  static = spec.static()
  if any(s.static() != static for s in specs[1:]):
    raise ValueError('bind: the specs stepped together differ in more than their knobs')
  preset = method(spec.method)
  table = {**terms_lib.TERMS, **_term_table(preset)}
  names = sorted({name for s in specs for name, _ in s.loss.weights})
  txs = {'vae': adam_direction()}
  critic_net = None
  if preset.critic is not None:
    critic_net = preset.critic.network(spec)
    txs['critic'] = adam_direction(b1=spec.critic.b1)
  return Bound(models.vae_from_spec(spec, preset.conditional),
               {name: table[name][0] for name in names}, preset.critic, critic_net, txs,
               preset.stochastic, preset.paired, preset.conditional)
