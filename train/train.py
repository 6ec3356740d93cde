"""The training program: a jitted, data-parallel step and the loop around it."""

import contextlib
import json
import os

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jsemrep import checkpoint
from jsemrep import data
from jsemrep import hparams as hparams_lib
from jsemrep import images as images_lib
from jsemrep import losses
from jsemrep import methods
from jsemrep import models
from jsemrep import pairing
from jsemrep import parallel
from jsemrep import sphere
from jsemrep import split
from jsemrep.errors import CheckpointError, ConfigError, DivergedError, JsemrepError
from train import checks
from train.configs import default as default_config
from train import during as during_lib
from train import feed as feed_lib
from train import guards
from train import writer as writer_lib

EXIT_PREEMPTED = 75   # EX_TEMPFAIL: saved on SIGTERM/SIGINT, run the same command to go on


class Preempted(JsemrepError):
  """SIGTERM or SIGINT stopped training after saving the current step."""
  exit_code = EXIT_PREEMPTED


def train_step(state, examples, values, *, config, model, bound):
  """One optimisation step of every player, written for one device of the `data` mesh,
  as in flax's examples: batch -> loss_fn -> value_and_grad -> pmean -> update, per player.

  `examples` is the global batch of this step (train/feed.py draws it by
  `batch_indices`, a pure function of seed and step); this device takes its slice, and
  every random draw of an example depends only on its place in the global batch, so
  any number of devices computes the same update. `values` holds the numeric knobs
  (jsemrep.hparams: seed, margins, gamma, the weight of every term in `bound`) as
  arrays, so one compiled step serves every value of them; each term's random key is
  derived from its name (methods.term_key), so adding or dropping one term leaves the
  others' draws alone. Two-player methods update the critic in the same step, from
  the same forward pass, with its own optimiser.
  """
  config = hparams_lib.Overlay(config, values)
  start, size = parallel.local_slice(config.batch_size)
  positions = start + jnp.arange(size)
  local = lambda name: jax.lax.dynamic_slice_in_dim(examples[name], start, size)
  batch = {'image': images_lib.to_float(local('image')), 'label': local('label'),
           'label_all': examples['label']}
  if bound.paired:
    batch.update(same_image=images_lib.to_float(local('same_image')),
                 donor_image=images_lib.to_float(local('donor_image')))
  noise_key, loss_key, critic_key = jax.random.split(
      jax.random.fold_in(jax.random.PRNGKey(config.seed), state.step), 3)
  noise = methods.per_example_normal(noise_key, positions, (config.model.latent_dim,))
  if not bound.stochastic:
    noise = jnp.zeros_like(noise)
  critic, critic_net = bound.critic, bound.critic_net
  decode = lambda params, z: model.apply({'params': params}, z, method=models.VAE.decode)

  def loss_fn(params, critic_params):
    labels = {'labels': batch['label']} if bound.conditional else {}
    outputs = model.apply({'params': params}, batch['image'], noise, **labels)
    outputs['z_all'] = jax.lax.all_gather(outputs['z'], parallel.DATA_AXIS, tiled=True)
    if bound.paired:
      outputs.update(paired_outputs(model, params, outputs, batch, split.semantic_dims(config)))
    critic_in = None
    if critic is not None:
      critic_in = critic.inputs(lambda z: decode(params, z), outputs, batch, critic_key,
                                positions, config)
      outputs['critic_out'] = critic.apply(critic_net, jax.lax.stop_gradient(critic_params),
                                           critic_in)
    terms = {name: fn(outputs, batch, methods.term_key(loss_key, name), config)
             for name, fn in sorted(bound.terms.items())}
    total = sum(values[hparams_lib.WEIGHT_PREFIX + name] * value for name, value in terms.items())
    return total, (terms, critic_in, outputs['z_all'])

  def update(player, grads):
    grads = jax.lax.pmean(grads, parallel.DATA_AXIS)
    updates, opt_state = bound.txs[player].update(grads, state.opt_state[player],
                                                  state.params[player])
    return optax.apply_updates(state.params[player], updates), opt_state

  (total, (terms, critic_in, z_all)), grads = jax.value_and_grad(loss_fn, has_aux=True)(
      state.params['vae'], state.params.get('critic'))
  params, opt_state = dict(state.params), dict(state.opt_state)
  params['vae'], opt_state['vae'] = update('vae', grads)
  metrics = {'loss': total, **terms, 'code_spread': code_spread(z_all)}
  if critic is not None:
    fixed_in = jax.lax.stop_gradient(critic_in)
    critic_loss, critic_grads = jax.value_and_grad(
        lambda p: critic.loss(critic.apply(critic_net, p, fixed_in), fixed_in, config))(
            state.params['critic'])
    params['critic'], opt_state['critic'] = update('critic', critic_grads)
    metrics['critic'] = critic_loss
  new_state = state.replace(step=state.step + 1, params=params, opt_state=opt_state)
  return new_state, jax.lax.pmean(metrics, parallel.DATA_AXIS)


def paired_outputs(model, params, outputs, batch, dims):
  """What cross-reconstruction reads (jsemrep.split, jsemrep.pairing): the latent means
  of the anchor's identity at another class (`same_mu`) and of the donor (`donor_mu`),
  and `cross_decoded`, the decoder on [s of the donor's mean, c of the anchor's code],
  which the `cross` term compares with the same identity's image at the donor's class."""
  encode = lambda images: model.apply({'params': params}, images, method='encode')[0]
  same_mu, donor_mu = encode(batch['same_image']), encode(batch['donor_image'])
  cross = split.join(split.semantic(donor_mu, dims), split.rest(outputs['z'], dims))
  return {'same_mu': same_mu, 'donor_mu': donor_mu,
          'cross_decoded': model.apply({'params': params}, cross, method='decode')}


def code_spread(z):
  """1 - |mean direction| of a batch of codes: about 1 for codes spread over the
  sphere, 0 when every code points the same way (a collapse)."""
  return 1.0 - jnp.linalg.norm(jnp.mean(sphere.normalize(z), axis=0))


def make_step(config, mesh, bound=None, stacked=False, num_examples=None, pairs=None):
  """The jitted, data-parallel train_step of the configured method on `mesh`:
  step(state, data, values=None) -> (state, metrics), data what train/feed.py's Feed
  gives, values defaulting to the config's own knobs. num_examples: the training
  split's size (default: the data's leading axis, as placed on one device). stacked:
  state and values carry a leading variant axis and one call steps every variant.
  pairs: for a method that cross-reconstructs, the training split's identity x class
  index table (jsemrep.pairing.index_table; the data then holds `identity_row`)."""
  bound = bound or methods.build(config)
  if bound.paired and pairs is None:
    raise ValueError(f'make_step: method {config.method} pairs examples and needs `pairs`')
  pairs = None if pairs is None else jnp.asarray(pairs)
  placement = config.data.get('placement', 'device')
  if num_examples is None and placement == 'sharded':
    raise ValueError('make_step needs num_examples with data.placement=sharded')
  model = methods.model_of(config)

  def step(state, dataset, values):
    examples = feed_lib.global_batch(placement, dataset, values['seed'], state.step,
                                     num_examples or dataset['image'].shape[0], config.batch_size,
                                     pairs)
    return train_step(state, examples, values, config=config, model=model, bound=bound)
  if stacked:
    step = jax.vmap(step, in_axes=(0, None, 0))
  jitted = parallel.data_parallel(step, mesh, dataset_spec=feed_lib.dataset_spec(placement))
  own = knobs(config, bound)

  def call(state, dataset, values=None):
    return jitted(state, dataset, own if values is None else values)
  call.lower = lambda state, dataset, values=None: jitted.lower(
      state, dataset, own if values is None else values)
  return call


def knobs(config, bound):
  """The step's numeric inputs for `config`: its knobs and the weight of every term
  `bound` computes (0 where config leaves the term out)."""
  weights = methods.effective_weights(config)
  return hparams_lib.of_config(config, {name: weights.get(name, 0.0) for name in bound.terms})


def complete_config(config, train):
  """Fills in what the data decides (image shape, classes) so that the stored
  config alone rebuilds the model."""
  config = config.copy_and_resolve_references()
  shape = tuple(int(d) for d in train['image'].shape[1:])
  given = tuple(config.model.image_shape)
  if given not in (shape, tuple(default_config.get_config().model.image_shape)):
    raise ConfigError(f'config model.image_shape={given} is not allowed: the images of '
                      f'{config.data.name} are {shape}, and the model takes the data\'s shape '
                      '(leave --config.model.image_shape out)')
  config.model.image_shape = shape
  config.data.num_classes = data.num_classes(train['label'])
  config.data.circular = data.circular_labels(config.data.name)
  for name, weight in methods.effective_weights(config).items():
    config.loss.weights[name] = weight
  return config


def train_and_evaluate(config, workdir):
  """Trains config.num_steps steps, resuming from the latest good checkpoint in workdir;
  with config.sweep, every variant of the sweep into its own run directory below
  workdir (see train_sweep). Returns the final state (a list of them for a sweep).

  Checks the config (and, on resume, that it is the stored run's) before loading
  anything; holds a lock on workdir; stops with DivergedError at the first logged
  non-finite loss, never saving a non-finite state; on SIGTERM or SIGINT saves the
  current step and raises Preempted.
  """
  if config.get('sweep'):
    return train_sweep(config, workdir)
  return _train_runs([config], [workdir], stacked=False)[0]


def train_sweep(config, workdir):
  """Trains every variant of config.sweep (jsemrep.hparams.parse) from one compiled
  step: workdir/<variant name>/ is each one's ordinary run directory, with its own
  effective config stored. sweep_mode 'sequential' trains the variants one after
  the other through the same step (bit-identical to separate runs on CPU); 'vmap'
  steps all of them at once with the step vmapped over a variant axis."""
  variants = hparams_lib.parse(config.sweep)
  configs = [hparams_lib.apply(config, overrides) for overrides in variants]
  names = [hparams_lib.variant_name(o) for o in variants]
  workdirs = [os.path.join(workdir, name) for name in names]
  checks.validate(config)
  record_path = os.path.join(workdir, SWEEP_RECORD)
  earlier = [v for v in _recorded_variants(record_path, config, variants, workdir)
             if v['workdir'] not in names]
  for c, w in zip(configs, workdirs):
    checks.validate(c)
    stored = checkpoint.stored_config(w)
    if stored is not None:
      checks.check_resume(stored, c, w)

  def write_record(failures):
    if parallel.is_primary():
      os.makedirs(workdir, exist_ok=True)
      with open(record_path, 'w', encoding='utf-8') as f:
        json.dump({'sweep': config.sweep, 'mode': config.sweep_mode, 'variants': earlier + [
            {'overrides': o, 'workdir': name, **({'failed': failures[i]} if i in failures else {})}
            for i, (o, name) in enumerate(zip(variants, names))]}, f, indent=1)

  write_record({})
  say(f'sweep of {len(variants)} variants ({config.sweep_mode}): {", ".join(names)}'
      + (f' (beside the {len(earlier)} recorded before)' if earlier else ''))
  failures = {}
  states = _train_runs(configs, workdirs, stacked=config.sweep_mode == 'vmap', failures=failures)
  write_record(failures)
  if failures:
    raise SweepError(f'{len(failures)} of {len(variants)} sweep variants failed (the others '
                     'trained; see sweep.json): ' + '; '.join(
                         f'{workdirs[i]}: {failures[i]}' for i in sorted(failures)))
  return states


SWEEP_RECORD = 'sweep.json'


def _recorded_variants(record_path, config, variants, workdir):
  """The variants sweep.json records from earlier commands in workdir. A sweep over the
  same keys adds its variants to them (seeds 3-4 beside a finished seed=0,1,2), once the
  setup it shares with them is the recorded one; a sweep over other keys is refused."""
  if not os.path.exists(record_path):
    return []
  with open(record_path, encoding='utf-8') as f:
    record = json.load(f)
  recorded = record.get('variants', [])
  if {tuple(sorted(v['overrides'])) for v in recorded} != {tuple(sorted(o)) for o in variants}:
    raise ConfigError(f'{workdir} holds the sweep {record.get("sweep")!r}; this command asks '
                      f'for {config.sweep!r}, over other keys: give the new sweep another '
                      '--workdir')
  for v in recorded:
    stored = checkpoint.stored_config(os.path.join(workdir, v['workdir']))
    if stored is not None:
      checks.check_resume(stored, hparams_lib.apply(config, v['overrides']),
                          os.path.join(workdir, v['workdir']))
      break
  return recorded


class SweepError(JsemrepError):
  """Some variants of a sweep failed; the others trained."""


def _train_runs(configs, workdirs, stacked, failures=None):
  """Checks, loads the data once, builds one step for all configs, and trains them:
  all at once (stacked) or one after the other. With `failures` (a dict), a variant
  that diverges is stopped alone: {its index: the message}, and the others train on
  (its state is None); variants stepped together with it resume from their last
  checkpoints without it."""
  for config, workdir in zip(configs, workdirs):
    checks.validate(config)
    stored = checkpoint.stored_config(workdir)
    if stored is not None:
      checks.check_resume(stored, config, workdir)
  mesh = parallel.make_mesh(configs[0].num_devices or None)   # refused before any data load
  parallel.check_batch_size(configs[0].batch_size, mesh)
  train = _load_train_split(configs[0])
  configs = [complete_config(c, train) for c in configs]
  for c in configs:
    if (methods.effective_weights(c).get('atn', 0) > 0 and c.atn.margin_mode == 'constant'
        and losses.constant_margin_unmet(c.atn.margin, c.data.num_classes, c.atn.neighbor)):
      say(f'warning: atn.margin={c.atn.margin} cannot be met by the ordinal rule over '
          f'{c.data.num_classes} classes ({c.data.num_classes - 1} x {c.atn.margin} > pi): the '
          'hinge never switches off; --config.atn.margin_mode=graded can be met')
      break
  if configs[0].batch_size > len(train['label']):
    raise ConfigError(f'config batch_size={configs[0].batch_size} is not allowed: it exceeds the '
                      f'{len(train["label"])} training examples of {configs[0].data.name}')
  placement = configs[0].data.placement
  if stacked and placement == 'host' and len({c.seed for c in configs}) > 1:
    raise ConfigError('config data.placement=host gathers one batch order on the host: a vmap '
                      'sweep over seeds needs data.placement=device or sharded (or '
                      'sweep_mode=sequential)')
  keep = set().union(*(methods.effective_weights(c) for c in configs))
  bound = methods.build(configs[0], keep=keep)
  arrays = {'image': train['image'], 'label': train['label']}
  pairs = None
  if bound.paired:
    arrays['identity_row'], pairs = paired_data(configs[0], train)
  step_fn = make_step(configs[0], mesh, bound, stacked, num_examples=len(train['label']),
                      pairs=pairs)
  shared = None if placement == 'host' else feed_lib.Feed(arrays, placement, mesh)
  values = [knobs(c, bound) for c in configs]
  pending = [list(range(len(configs)))] if stacked else [[i] for i in range(len(configs))]
  states = {}
  while pending:
    group = pending.pop(0)
    with contextlib.ExitStack() as locks:
      for i in group:
        if parallel.is_primary():     # the other processes of a multi-host run share its lock
          locks.enter_context(guards.hold_workdir(workdirs[i]))
      feed = shared or feed_lib.Feed(arrays, placement, mesh, configs[group[0]].seed,
                                     configs[group[0]].batch_size)
      try:
        states.update(zip(group, _train([configs[i] for i in group], [workdirs[i] for i in group],
                                        [values[i] for i in group], feed, mesh, step_fn,
                                        stacked)))
      except DivergedError as e:
        if failures is None:
          raise
        bad = group[getattr(e, 'member', 0)]
        failures[bad], states[bad] = str(e), None
        say(f'error: {workdirs[bad]}: {e}; going on with the other variants')
        rest = [i for i in group if i != bad]
        if rest:   # stepped together: they resume from their last checkpoints without it
          pending.insert(0, rest)
      finally:
        if feed is not shared:
          feed.close()
  return [states[i] for i in range(len(configs))]


def paired_data(config, train):
  """(identity row of every example, identity x class index table) of the training
  split, for a method that cross-reconstructs; ConfigError where the data has none."""
  identity = train.get('identity')
  if identity is None or not np.any(np.asarray(identity) >= 0):
    raise ConfigError(f'method {config.method} cross-reconstructs pairs of one identity at two '
                      f'classes, and {config.data.name} records no identity per example (datasets '
                      'that do: rotated_mnist5k, synthetic_heads, multi_pie with Multi-PIE file '
                      'names)')
  if config.data.placement == 'host':
    raise ConfigError(f'method {config.method} draws its pairs inside the step: it needs '
                      'data.placement=device or sharded')
  rows, table = pairing.index_table(identity, train['label'], config.data.num_classes)
  if not np.any(np.sum(table >= 0, axis=1) > 1):
    raise ConfigError(f'method {config.method}: no identity of {config.data.name} appears at '
                      'two classes, so there is nothing to cross-reconstruct')
  return rows, table


def _load_train_split(config):
  """The training split; with several processes, process 0 prepares the dataset files
  while the others wait, then every process reads them."""
  if parallel.is_primary():
    train = data.load_split(config, 'train')
  parallel.barrier('dataset prepared')
  if not parallel.is_primary():
    train = data.load_split(config, 'train')
  return train


def say(text):
  """Prints on process 0 only (every process of a multi-host run computes the same)."""
  if parallel.is_primary():
    print(text, flush=True)


def _stack(trees):
  return jax.tree.map(lambda *xs: jnp.stack(xs), *trees)


def _member(tree, k):
  return jax.tree.map(lambda x: x[k], tree)


def _train(configs, workdirs, values, feed, mesh, step_fn, stacked):
  """The loop of one run, or of a stack of runs stepped together: every run keeps
  its own checkpoints, metrics and TensorBoard events in its workdir."""
  config = configs[0]
  mngrs = [checkpoint.manager(w, c.keep_checkpoints) for c, w in zip(configs, workdirs)]
  states = []
  for c, w, mngr in zip(configs, workdirs, mngrs):
    if not mngr.all_steps() and checkpoint.bad_steps(w):
      raise CheckpointError(
          f'{w}: checkpoints/ is empty but checkpoints.bad/ holds steps {checkpoint.bad_steps(w)}; '
          'training would start again from step 0. Move a step back (mv '
          f'{checkpoint.bad_dir(w)}/STEP {checkpoint.checkpoint_dir(w)}/) or delete '
          f'{checkpoint.bad_dir(w)} to start afresh')
    state = methods.init_state(c, jax.random.PRNGKey(c.seed))
    if mngr.all_steps():
      _, stored, state = checkpoint.restore_good(mngr, w, state, fallback=True)
      say(f'resuming from step {int(state.step)} in {w}')
      _say_changes(w, checks.resume_changes(stored, c) if stored is not None else [],
                   int(state.step))
    states.append(state)
  starts = [int(s.step) for s in states]
  if len(set(starts)) > 1:
    raise ConfigError(f'the variants stepped together are at different steps ({starts}); '
                      'resume them with --config.sweep_mode=sequential')
  step = starts[0]
  state = parallel.replicate(_stack(states) if stacked else states[0], mesh)
  knob_values = parallel.replicate(_stack(values) if stacked else values[0], mesh)
  del states
  writers = [writer_lib.MetricsWriter(w, c.num_steps, c.batch_size, step,
                                      enabled=parallel.is_primary())
             for c, w in zip(configs, workdirs)]
  where = workdirs[0] if len(workdirs) == 1 else f'{len(workdirs)} run directories'
  say(f'training {config.method} on {config.data.name} ({feed.num_examples} examples, '
      f'placement {feed.placement}) on {mesh.shape[parallel.DATA_AXIS]} device(s) in '
      f'{jax.process_count()} process(es), steps {step}..{config.num_steps}, into {where}')
  members = lambda tree: [_member(tree, k) for k in range(len(configs))] if stacked else [tree]
  during = during_lib.DuringTraining(config, say) if config.get('eval_every') else None
  stop = guards.StopSignals()
  try:
    with stop:
      while step < config.num_steps:
        state, metrics = step_fn(state, feed(step), knob_values)
        step += 1
        if step % config.log_every == 0 or step == config.num_steps:
          for k, (c, writer, mngr, m, s) in enumerate(zip(
              configs, writers, mngrs, members(parallel.to_host(metrics)), members(state))):
            if during is not None and step % config.eval_every == 0:
              m = {**m, **during(c, parallel.to_host(s.params['vae']), step)}
            try:
              _check_finite_and_spread(writer.write(step, m), c, mngr, starts[0])
            except DivergedError as e:
              e.member = k   # which of the variants stepped together
              raise
        if step % config.checkpoint_every == 0 or step == config.num_steps:
          _save_all(mngrs, members(state), configs)
        if stop.requested(step):
          _save_all(mngrs, members(state), configs)
          raise Preempted(f'stopped by {stop.name} at step {step}: saved checkpoint {step} in '
                          f'{where}; run the same command to continue')
  finally:
    for mngr, writer in zip(mngrs, writers):
      mngr.close()
      writer.close()
  return members(state)


CHANGES_LOG = 'changes.jsonl'


def _say_changes(workdir, changes, step):
  """Says each setting a resume changes and appends it to DIR/changes.jsonl."""
  for key, old, new in changes:
    say(f'{key} {old} -> {new} from step {step}')
  if changes and parallel.is_primary():
    with open(os.path.join(workdir, CHANGES_LOG), 'a', encoding='utf-8') as f:
      for key, old, new in changes:
        f.write(json.dumps({'step': step, 'key': key, 'from': old, 'to': new}) + '\n')


def _save_all(mngrs, states, configs):
  """Saves the state of every run stepped together, or none of them: a non-finite
  state raises DivergedError naming its run (`member`) before anything is saved, so
  the others stay at one step and resume together."""
  steps = [int(parallel.to_host(s.step)) for s in states]
  for k, (mngr, state, step) in enumerate(zip(mngrs, states, steps)):
    if step not in mngr.all_steps() and not checkpoint.all_finite(state):
      error = DivergedError(f'the state at step {step} is not finite; not saved (the last good '
                            f'checkpoint is {_last(mngr)})')
      error.member = k
      raise error
  for mngr, state, config, step in zip(mngrs, states, configs, steps):
    if step not in mngr.all_steps():
      checkpoint.save(mngr, state, config)


def _last(mngr):
  step = mngr.latest_step()
  return 'none' if step is None else f'step {step}'


SOON_AFTER_RESUME = 2   # logging intervals after a resume in which divergence may be its doing


def _check_finite_and_spread(record, config, mngr, resumed_from):
  bad = [k for k, v in record.items() if k != 'step' and not np.isfinite(v)]
  if bad:
    hint = 'try a lower learning_rate'
    if resumed_from and record['step'] - resumed_from <= SOON_AFTER_RESUME * config.log_every:
      hint = (f'it diverged {record["step"] - resumed_from} steps after resuming from checkpoint '
              f'{resumed_from}, which may be the cause: move it out of checkpoints/ to resume '
              'from the one before; else try a lower learning_rate')
    raise DivergedError(f'training diverged: {", ".join(bad)} not finite at step {record["step"]}; '
                        f'no checkpoint of it was saved (the last good checkpoint is '
                        f'{_last(mngr)}); {hint}')
  if config.stop_on_collapse and record['code_spread'] < config.stop_on_collapse:
    raise DivergedError(f'codes collapsed at step {record["step"]}: code_spread '
                        f'{record["code_spread"]:.4f} < stop_on_collapse={config.stop_on_collapse} '
                        f'(every code points nearly the same way); the last checkpoint is '
                        f'{_last(mngr)}')
