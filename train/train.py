"""The training program: a jitted, data-parallel step and the loop around it."""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax

from jsemrep import checkpoint
from jsemrep import data
from jsemrep import methods
from jsemrep import models
from jsemrep import parallel
from train import writer as writer_lib


def train_step(state, dataset, *, config, model, txs):
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
  batch = {'image': data.to_float(dataset['image'][indices]),
           'label': dataset['label'][indices],
           'label_all': dataset['label'][indices_all]}
  noise_key, loss_key, critic_key = jax.random.split(
      jax.random.fold_in(jax.random.PRNGKey(config.seed), state.step), 3)
  preset = methods.method(config)
  noise = methods.per_example_normal(noise_key, positions, (config.model.latent_dim,))
  if not preset.stochastic:
    noise = jnp.zeros_like(noise)
  terms = methods.terms(config)
  critic, critic_net = preset.critic, methods.critic_network(config)
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
    return total, (values, critic_in)

  def update(player, grads):
    grads = jax.lax.pmean(grads, parallel.DATA_AXIS)
    updates, opt_state = txs[player].update(grads, state.opt_state[player],
                                            state.params[player])
    return optax.apply_updates(state.params[player], updates), opt_state

  (total, (values, critic_in)), grads = jax.value_and_grad(loss_fn, has_aux=True)(
      state.params['vae'], state.params.get('critic'))
  params, opt_state = dict(state.params), dict(state.opt_state)
  params['vae'], opt_state['vae'] = update('vae', grads)
  metrics = {'loss': total, **values}
  if critic is not None:
    fixed_in = jax.lax.stop_gradient(critic_in)
    critic_loss, critic_grads = jax.value_and_grad(
        lambda p: critic.loss(critic.apply(critic_net, p, fixed_in), fixed_in, config))(
            state.params['critic'])
    params['critic'], opt_state['critic'] = update('critic', critic_grads)
    metrics['critic'] = critic_loss
  new_state = state.replace(step=state.step + 1, params=params, opt_state=opt_state)
  return new_state, jax.lax.pmean(metrics, parallel.DATA_AXIS)


def make_step(config, mesh):
  """The jitted, data-parallel train_step of the configured method on `mesh`."""
  return parallel.data_parallel(
      functools.partial(train_step, config=config, model=models.vae_from_config(config),
                        txs=methods.optimizers(config)),
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
  """Trains config.num_steps steps, resuming from the latest checkpoint in workdir."""
  train = data.load_split(config, 'train')
  config = complete_config(config, train)
  mesh = parallel.make_mesh(config.num_devices or None)
  parallel.check_batch_size(config.batch_size, mesh)
  if config.batch_size > len(train['label']):
    raise ValueError(f'batch_size {config.batch_size} exceeds the {len(train["label"])} '
                     f'training examples of {config.data.name}')
  dataset = parallel.replicate({'image': train['image'], 'label': train['label']}, mesh)

  mngr = checkpoint.manager(workdir, config.keep_checkpoints)
  state = methods.init_state(config, jax.random.PRNGKey(config.seed))
  if mngr.latest_step() is not None:
    state = checkpoint.restore_state(mngr, state, workdir=workdir)
    print(f'resuming from step {int(state.step)} in {workdir}', flush=True)
  state = parallel.replicate(state, mesh)
  step = int(jax.device_get(state.step))

  step_fn = make_step(config, mesh)
  writer = writer_lib.MetricsWriter(workdir, config.num_steps, config.batch_size, step)
  print(f'training {config.method} on {config.data.name} ({len(train["label"])} examples) '
        f'on {mesh.shape[parallel.DATA_AXIS]} device(s), steps {step}..{config.num_steps}',
        flush=True)
  metrics = None
  try:
    while step < config.num_steps:
      state, metrics = step_fn(state, dataset)
      step += 1
      if step % config.log_every == 0 or step == config.num_steps:
        writer.write(step, jax.device_get(metrics))
      if step % config.checkpoint_every == 0 or step == config.num_steps:
        checkpoint.save(mngr, state, config)
  except KeyboardInterrupt:
    print(f'interrupted: saving step {step} to resume from', flush=True)
    checkpoint.save(mngr, state, config)
    raise
  finally:
    mngr.wait_until_finished()
    mngr.close()
    writer.close()
  if metrics is not None and not np.isfinite(float(jax.device_get(metrics['loss']))):
    raise FloatingPointError(f'training diverged: final loss is not finite (see {workdir}/metrics.jsonl)')
  return state
