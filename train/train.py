"""The training program: a jitted, data-parallel step and the loop around it."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jsemrep import checkpoint
from jsemrep import data
from jsemrep import images as images_lib
from jsemrep import methods
from jsemrep import models
from jsemrep import parallel
from jsemrep import sphere
from jsemrep.errors import ConfigError, DivergedError, JsemrepError
from train import checks
from train import guards
from train import writer as writer_lib

EXIT_PREEMPTED = 75   # EX_TEMPFAIL: saved on SIGTERM/SIGINT, run the same command to go on


class Preempted(JsemrepError):
  """SIGTERM or SIGINT stopped training after saving the current step."""
  exit_code = EXIT_PREEMPTED


def train_step(state, dataset, *, config, model, bound):
  """One optimisation step of every player, written for one device of the `data` mesh.

  The global batch is drawn from the device-resident dataset by `batch_indices`
  (a pure function of seed and step); this device takes its slice, and every
  random draw of an example depends only on its place in the global batch, so
  any number of devices computes the same update. Two-player methods update the
  critic in the same step, from the same forward pass, with its own optimiser.
  """
  num_examples = dataset['image'].shape[0]
  indices_all = data.batch_indices(config.seed, state.step, num_examples, config.batch_size)
  start, size = parallel.local_slice(config.batch_size)
  indices = jax.lax.dynamic_slice(indices_all, (start,), (size,))
  positions = start + jnp.arange(size)
  batch = {'image': images_lib.to_float(dataset['image'][indices]),
           'label': dataset['label'][indices],
           'label_all': dataset['label'][indices_all]}
  noise_key, loss_key, critic_key = jax.random.split(
      jax.random.fold_in(jax.random.PRNGKey(config.seed), state.step), 3)
  noise = methods.per_example_normal(noise_key, positions, (config.model.latent_dim,))
  if not bound.stochastic:
    noise = jnp.zeros_like(noise)
  terms, critic, critic_net = bound.terms, bound.critic, bound.critic_net
  decode = lambda params, z: model.apply({'params': params}, z, method=models.VAE.decode)

  def loss_fn(params, critic_params):
    outputs = model.apply({'params': params}, batch['image'], noise)
    outputs['z_all'] = jax.lax.all_gather(outputs['z'], parallel.DATA_AXIS, tiled=True)
    critic_in = None
    if critic is not None:
      critic_in = critic.inputs(lambda z: decode(params, z), outputs, batch, critic_key,
                                positions, config)
      outputs['critic_out'] = critic.apply(critic_net, jax.lax.stop_gradient(critic_params),
                                           critic_in)
    values = {name: fn(outputs, batch, jax.random.fold_in(loss_key, i), config)
              for i, (name, (fn, _)) in enumerate(sorted(terms.items()))}
    total = sum(terms[name][1] * value for name, value in values.items())
    return total, (values, critic_in, outputs['z_all'])

  def update(player, grads):
    grads = jax.lax.pmean(grads, parallel.DATA_AXIS)
    updates, opt_state = bound.txs[player].update(grads, state.opt_state[player],
                                                  state.params[player])
    return optax.apply_updates(state.params[player], updates), opt_state

  (total, (values, critic_in, z_all)), grads = jax.value_and_grad(loss_fn, has_aux=True)(
      state.params['vae'], state.params.get('critic'))
  params, opt_state = dict(state.params), dict(state.opt_state)
  params['vae'], opt_state['vae'] = update('vae', grads)
  metrics = {'loss': total, **values, 'code_spread': code_spread(z_all)}
  if critic is not None:
    fixed_in = jax.lax.stop_gradient(critic_in)
    critic_loss, critic_grads = jax.value_and_grad(
        lambda p: critic.loss(critic.apply(critic_net, p, fixed_in), fixed_in, config))(
            state.params['critic'])
    params['critic'], opt_state['critic'] = update('critic', critic_grads)
    metrics['critic'] = critic_loss
  new_state = state.replace(step=state.step + 1, params=params, opt_state=opt_state)
  return new_state, jax.lax.pmean(metrics, parallel.DATA_AXIS)


def code_spread(z):
  """1 - |mean direction| of a batch of codes: about 1 for codes spread over the
  sphere, 0 when every code points the same way (a collapse)."""
  return 1.0 - jnp.linalg.norm(jnp.mean(sphere.normalize(z), axis=0))


def make_step(config, mesh):
  """The jitted, data-parallel train_step of the configured method on `mesh`."""
  return parallel.data_parallel(
      functools.partial(train_step, config=config, model=models.vae_from_config(config),
                        bound=methods.build(config)),
      mesh)


def complete_config(config, train):
  """Fills in what the data decides (image shape, classes) so that the stored
  config alone rebuilds the model."""
  config = config.copy_and_resolve_references()
  config.model.image_shape = tuple(int(d) for d in train['image'].shape[1:])
  config.data.num_classes = data.num_classes(train['label'])
  config.data.circular = data.circular_labels(config.data.name)
  for name, weight in methods.effective_weights(config).items():
    config.loss.weights[name] = weight
  return config


def train_and_evaluate(config, workdir):
  """Trains config.num_steps steps, resuming from the latest good checkpoint in workdir.

  Checks the config (and, on resume, that it is the stored run's) before loading
  anything; holds a lock on workdir; stops with DivergedError at the first logged
  non-finite loss, never saving a non-finite state; on SIGTERM or SIGINT saves the
  current step and raises Preempted.
  """
  checks.validate(config)
  stored = checkpoint.stored_config(workdir)
  if stored is not None:
    checks.check_resume(stored, config, workdir)
  train = data.load_split(config, 'train')
  config = complete_config(config, train)
  mesh = parallel.make_mesh(config.num_devices or None)
  parallel.check_batch_size(config.batch_size, mesh)
  if config.batch_size > len(train['label']):
    raise ConfigError(f'config batch_size={config.batch_size} is not allowed: it exceeds the '
                      f'{len(train["label"])} training examples of {config.data.name}')
  with guards.hold_workdir(workdir):
    return _train(config, workdir, train, mesh)


def _train(config, workdir, train, mesh):
  dataset = parallel.replicate({'image': train['image'], 'label': train['label']}, mesh)
  mngr = checkpoint.manager(workdir, config.keep_checkpoints)
  state = methods.init_state(config, jax.random.PRNGKey(config.seed))
  if mngr.all_steps():
    _, _, state = checkpoint.restore_good(mngr, workdir, state, fallback=True)
    print(f'resuming from step {int(state.step)} in {workdir}', flush=True)
  state = parallel.replicate(state, mesh)
  step = int(jax.device_get(state.step))

  step_fn = make_step(config, mesh)
  writer = writer_lib.MetricsWriter(workdir, config.num_steps, config.batch_size, step)
  print(f'training {config.method} on {config.data.name} ({len(train["label"])} examples) '
        f'on {mesh.shape[parallel.DATA_AXIS]} device(s), steps {step}..{config.num_steps}',
        flush=True)
  stop = guards.StopSignals()
  try:
    with stop:
      while step < config.num_steps:
        state, metrics = step_fn(state, dataset)
        step += 1
        if step % config.log_every == 0 or step == config.num_steps:
          _check_finite_and_spread(writer.write(step, jax.device_get(metrics)), config, mngr)
        if step % config.checkpoint_every == 0 or step == config.num_steps:
          _save(mngr, state, config)
        if stop.requested(step):
          _save(mngr, state, config)
          raise Preempted(f'stopped by {stop.name} at step {step}: saved checkpoint {step} in '
                          f'{workdir}; run the same command to continue')
  finally:
    mngr.close()
    writer.close()
  return state


def _save(mngr, state, config):
  step = int(jax.device_get(state.step))
  if step in mngr.all_steps():
    return
  if not checkpoint.all_finite(state):
    raise DivergedError(f'the state at step {step} is not finite; not saved (the last good '
                        f'checkpoint is {_last(mngr)})')
  checkpoint.save(mngr, state, config)


def _last(mngr):
  step = mngr.latest_step()
  return 'none' if step is None else f'step {step}'


def _check_finite_and_spread(record, config, mngr):
  bad = [k for k, v in record.items() if k != 'step' and not np.isfinite(v)]
  if bad:
    raise DivergedError(f'training diverged: {", ".join(bad)} not finite at step {record["step"]}; '
                        f'no checkpoint of it was saved (the last good checkpoint is '
                        f'{_last(mngr)}); try a lower learning_rate')
  if config.stop_on_collapse and record['code_spread'] < config.stop_on_collapse:
    raise DivergedError(f'codes collapsed at step {record["step"]}: code_spread '
                        f'{record["code_spread"]:.4f} < stop_on_collapse={config.stop_on_collapse} '
                        f'(every code points nearly the same way); the last checkpoint is '
                        f'{_last(mngr)}')
