"""The resolved run: `RunSpec`, frozen and complete, and `Knobs`, its traced numbers.

The training program's ConfigDict stops at the command line. `train.resolve` turns it,
with the facts of the data (image shape, classes, whether they form a ring), into a
RunSpec: every value a run is made of, the method's effective loss weights included.
It is what a checkpoint stores (`to_json`), what evaluation rebuilds a run from
(`from_json`, the one place an older checkpoint's record is upgraded) and what a resume
is compared against: every field declares what a change of it on resume does
(`refuse`: another run; `say`: said and logged; `ignore`: where things are).

`Knobs` are the numbers the training step reads as traced arrays (seed, margins,
gamma, learning rates, the weight of every term), so that one compiled step serves
every value of them: a sweep over them compiles once.
"""

import dataclasses
from typing import Any, Dict, Optional, Tuple

import flax
import jax
import jax.numpy as jnp

from jsemrep.errors import ConfigError

MAX_SEED = 2 ** 31 - 1   # seeds travel as int32 knobs
POLICIES = ('refuse', 'say', 'ignore')


def _field(resume, default=dataclasses.MISSING, knob=None):
  """A spec field with its resume policy; knob: its name in Knobs, if it is one."""
  assert resume in POLICIES
  return dataclasses.field(default=default, metadata={'resume': resume, 'knob': knob})


@dataclasses.dataclass(frozen=True)
class DataSpec:
  name: str = _field('refuse')
  data_dir: str = _field('ignore', '')
  manual_dir: str = _field('ignore', '')
  placement: str = _field('say', 'device')
  num_classes: int = _field('refuse', 10)      # from the data
  circular: bool = _field('refuse', False)     # from the data: the classes form a ring
  # the folder dataset's options (jsemrep.data.folder.FolderOptions)
  classes: Tuple[str, ...] = _field('refuse', ())
  identity: str = _field('refuse', '')
  image_size: Tuple[int, ...] = _field('refuse', ())


@dataclasses.dataclass(frozen=True)
class ModelSpec:
  image_shape: Tuple[int, ...] = _field('refuse')   # from the data
  latent_dim: int = _field('refuse', 64)
  semantic_dims: int = _field('refuse', 0)
  channels: Tuple[int, ...] = _field('refuse', (32, 64, 128))
  hidden: Tuple[int, ...] = _field('refuse', (512, 256))
  upsampling: str = _field('refuse', 'subpixel')
  downsampling: str = _field('refuse', 'strided')   # runs from before the option: strided
  dtype: str = _field('say', 'float32')


@dataclasses.dataclass(frozen=True)
class LossSpec:
  reconstruction: str = _field('refuse', 'l1')
  # ((term, weight), ...) sorted by name: every term the method computes
  weights: Tuple[Tuple[str, float], ...] = _field('say', (), knob='weights')

  def weight(self, name: str) -> float:
    """The weight of term `name` (0 where the run does not compute it)."""
    return dict(self.weights).get(name, 0.0)


@dataclasses.dataclass(frozen=True)
class AtnSpec:
  margin: float = _field('say', 1.2, knob='atn_margin')
  neighbor: str = _field('refuse', 'ordinal')
  margin_mode: str = _field('say', 'constant')
  triplets_per_anchor: int = _field('say', 4)


@dataclasses.dataclass(frozen=True)
class TripletSpec:
  margin: float = _field('say', 0.2, knob='triplet_margin')


@dataclasses.dataclass(frozen=True)
class AcaiSpec:
  gamma: float = _field('say', 0.2, knob='acai_gamma')


@dataclasses.dataclass(frozen=True)
class CriticSpec:
  learning_rate: float = _field('say', 1e-3, knob='critic_learning_rate')
  b1: float = _field('say', 0.5)


@dataclasses.dataclass(frozen=True)
class RunSpec:
  """Everything one run is made of, resolved; the attribute paths are the config's
  (`spec.model.latent_dim`, `spec.atn.margin`), so a notebook reads either alike."""
  method: str = _field('refuse')
  data: DataSpec = _field('refuse')
  model: ModelSpec = _field('refuse')
  loss: LossSpec = _field('refuse', LossSpec())
  atn: AtnSpec = _field('refuse', AtnSpec())
  triplet: TripletSpec = _field('refuse', TripletSpec())
  acai: AcaiSpec = _field('refuse', AcaiSpec())
  critic: CriticSpec = _field('refuse', CriticSpec())
  seed: int = _field('refuse', 0, knob='seed')
  batch_size: int = _field('say', 256)
  learning_rate: float = _field('say', 1e-3, knob='learning_rate')
  num_steps: int = _field('say', 2000)
  num_devices: int = _field('say', 0)
  log_every: int = _field('say', 50)
  checkpoint_every: int = _field('say', 500)
  keep_checkpoints: int = _field('say', 3)
  eval_every: int = _field('say', 0)
  evals: str = _field('say', '')
  stop_on_collapse: float = _field('say', 0.0)

  @property
  def period(self) -> Optional[int]:
    """The class count when the classes form a ring (distances go the short way)."""
    return self.data.num_classes if self.data.circular else None

  def knobs(self, terms=None) -> 'Knobs':
    """The traced numbers of this run; terms: the names the step computes (default:
    this run's), each weighted as here (0 where this run leaves it out)."""
    names = [n for n, _ in self.loss.weights] if terms is None else sorted(terms)
    f32 = lambda v: jnp.asarray(v, jnp.float32)
    return Knobs(seed=jnp.asarray(self.seed, jnp.int32), atn_margin=f32(self.atn.margin),
                 triplet_margin=f32(self.triplet.margin), acai_gamma=f32(self.acai.gamma),
                 learning_rate=f32(self.learning_rate),
                 critic_learning_rate=f32(self.critic.learning_rate),
                 weights={n: f32(self.loss.weight(n)) for n in names})

  def static(self) -> 'RunSpec':
    """This spec with every knob blanked (None): what the compiled step may read, so
    that a term reading a knob from the spec instead of from Knobs fails at once. Runs
    stepped by one compiled step have equal static specs."""
    return _blank_knobs(self)

  def to_json(self) -> Dict[str, Any]:
    """The record stored with each checkpoint: nested dicts, as the config's tree."""
    out = dataclasses.asdict(self)
    out['loss']['weights'] = dict(self.loss.weights)
    return out

  @classmethod
  def from_json(cls, record: Dict[str, Any]) -> 'RunSpec':
    """The spec of a stored record, of any version: fields a record lacks take the
    value that older runs had; keys no spec holds (an old config's sweep) are dropped."""
    return _from_dict(cls, record)


@flax.struct.dataclass
class Knobs:
  """What the training step reads as data; a sweep stacks one per variant."""
  seed: jax.Array
  atn_margin: jax.Array
  triplet_margin: jax.Array
  acai_gamma: jax.Array
  learning_rate: jax.Array
  critic_learning_rate: jax.Array
  weights: Dict[str, jax.Array]


def _blank_knobs(node):
  changes = {}
  for f in dataclasses.fields(node):
    value = getattr(node, f.name)
    if dataclasses.is_dataclass(value):
      changes[f.name] = _blank_knobs(value)
    elif f.metadata['knob']:
      changes[f.name] = None
  return dataclasses.replace(node, **changes)


def _from_dict(cls, record):
  values = {}
  for f in dataclasses.fields(cls):
    if f.name not in record or record[f.name] is None:
      continue
    value = record[f.name]
    if dataclasses.is_dataclass(f.type):
      value = _from_dict(f.type, value)
    elif f.name == 'weights':
      value = tuple(sorted((k, float(w)) for k, w in value.items() if w is not None))
    elif isinstance(value, list):
      value = tuple(value)
    values[f.name] = value
  for f in dataclasses.fields(cls):
    if dataclasses.is_dataclass(f.type) and f.name not in values:
      values[f.name] = f.type()
  return cls(**values)


def leaves(spec, prefix=''):
  """{dotted key: (value, resume policy)} of a spec; each loss weight is a leaf of
  its own (`loss.weights.NAME`)."""
  out = {}
  for f in dataclasses.fields(spec):
    value, key = getattr(spec, f.name), prefix + f.name
    if dataclasses.is_dataclass(value):
      out.update(leaves(value, key + '.'))
    elif f.name == 'weights':
      out.update({f'{key}.{n}': (w, f.metadata['resume']) for n, w in value})
    else:
      out[key] = (value, f.metadata['resume'])
  return out


@dataclasses.dataclass(frozen=True)
class Change:
  key: str
  old: Any
  new: Any


def resume_changes(stored: RunSpec, requested: RunSpec, workdir: str):
  """[Change] a resume of the run stored in workdir makes (each said and logged);
  ConfigError where a field that makes another run differs."""
  old, new = leaves(stored), leaves(requested)
  refused, said = [], []
  for key in sorted(old.keys() | new.keys()):
    (a, policy), (b, _) = old.get(key, (None, 'say')), new.get(key, (None, 'say'))
    if a == b or policy == 'ignore':
      continue
    (refused if policy == 'refuse' else said).append(Change(key, a, b))
  if refused:
    what = ', '.join(f'{c.key}={c.old!r} -> {c.new!r}' for c in refused)
    raise ConfigError(f'{workdir} holds a run with another setup ({what}); resuming would mix '
                      'two runs: start the new one with another --workdir (or delete '
                      f'{workdir}/checkpoints to discard the old one)')
  return said
