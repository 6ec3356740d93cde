"""The training step: jitted, data-parallel, one optimisation step of every player.

Read this file first. `train_step` is written for one device of the `data` mesh, as in
flax's examples: batch -> loss_fn -> value_and_grad -> pmean -> update, per player;
`make_step` jits it over the mesh (and vmaps it over the variants of a sweep).
"""

import jax
import jax.numpy as jnp
import optax

from jsemrep import images as images_lib
from jsemrep import methods
from jsemrep import models
from jsemrep import parallel
from jsemrep import sphere
from jsemrep import split
from train import feed as feed_lib


def train_step(state, examples, knobs, *, spec, bound):
  """One step of every player of the Bound method on the global batch `examples`.

  train/feed.py draws the batch by `batch_indices`, a pure function of seed and step;
  this device takes its slice, and every random draw of an example depends only on its
  place in the global batch, so any number of devices computes the same update. `spec`
  is the run's static spec (its knobs blanked); `knobs` (jsemrep.spec.Knobs: seed,
  margins, gamma, learning rates, the weight of every term) are arrays, so one compiled
  step serves every value of them. Each term's random key is derived from its name
  (methods.term_key), so adding or dropping one term leaves the others' draws alone.
  Two-player methods update the critic in the same step, from the same forward pass,
  with its own optimiser.
  """
  model, critic, critic_net = bound.model, bound.critic, bound.critic_net
  start, size = parallel.local_slice(spec.batch_size)
  positions = start + jnp.arange(size)
  local = lambda name: jax.lax.dynamic_slice_in_dim(examples[name], start, size)
  batch = {'image': images_lib.to_float(local('image')), 'label': local('label'),
           'label_all': examples['label']}
  if bound.paired:
    batch.update(same_image=images_lib.to_float(local('same_image')),
                 donor_image=images_lib.to_float(local('donor_image')))
  noise_key, loss_key, critic_key = jax.random.split(
      jax.random.fold_in(jax.random.PRNGKey(knobs.seed), state.step), 3)
  noise = methods.per_example_normal(noise_key, positions, (spec.model.latent_dim,))
  if not bound.stochastic:
    noise = jnp.zeros_like(noise)
  decode = lambda params, z: model.apply({'params': params}, z, method=models.VAE.decode)

  def loss_fn(params, critic_params):
    labels = {'labels': batch['label']} if bound.conditional else {}
    outputs = model.apply({'params': params}, batch['image'], noise, **labels)
    outputs['z_all'] = jax.lax.all_gather(outputs['z'], parallel.DATA_AXIS, tiled=True)
    if bound.paired:
      outputs.update(paired_outputs(model, params, outputs, batch, spec.model.semantic_dims))
    critic_in = None
    if critic is not None:
      critic_in = critic.inputs(lambda z: decode(params, z), outputs, batch, critic_key,
                                positions, spec, knobs)
      outputs['critic_out'] = critic.apply(critic_net, jax.lax.stop_gradient(critic_params),
                                           critic_in)
    terms = {name: fn(outputs, batch, methods.term_key(loss_key, name), spec, knobs)
             for name, fn in sorted(bound.terms.items())}
    total = sum(knobs.weights[name] * value for name, value in terms.items())
    return total, (terms, critic_in, outputs['z_all'])

  def update(player, grads, learning_rate):
    grads = jax.lax.pmean(grads, parallel.DATA_AXIS)
    direction, opt_state = bound.txs[player].update(grads, state.opt_state[player],
                                                    state.params[player])
    updates = jax.tree.map(lambda u: u * -learning_rate, direction)
    return optax.apply_updates(state.params[player], updates), opt_state

  (total, (terms, critic_in, z_all)), grads = jax.value_and_grad(loss_fn, has_aux=True)(
      state.params['vae'], state.params.get('critic'))
  params, opt_state = dict(state.params), dict(state.opt_state)
  params['vae'], opt_state['vae'] = update('vae', grads, knobs.learning_rate)
  metrics = {'loss': total, **terms, 'code_spread': code_spread(z_all)}
  if critic is not None:
    fixed_in = jax.lax.stop_gradient(critic_in)
    critic_loss, critic_grads = jax.value_and_grad(
        lambda p: critic.loss(critic.apply(critic_net, p, fixed_in), fixed_in))(
            state.params['critic'])
    params['critic'], opt_state['critic'] = update('critic', critic_grads,
                                                   knobs.critic_learning_rate)
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


def make_step(bound, spec, mesh, stacked=False, num_examples=None, pairs=None):
  """The jitted, data-parallel train_step of the Bound method on `mesh`:
  step(state, data, knobs) -> (state, metrics), data what train/feed.py's Feed gives.
  spec: a run's spec (its static part is used; every run stepped by it shares that).
  num_examples: the training split's size (default: the data's leading axis, as placed
  on one device). stacked: state and knobs carry a leading variant axis and one call
  steps every variant. pairs: for a method that cross-reconstructs, the training
  split's identity x class index table (jsemrep.pairing.index_table; the data then
  holds `identity_row`)."""
  if bound.paired and pairs is None:
    raise ValueError(f'make_step: method {spec.method} pairs examples and needs `pairs`')
  pairs = None if pairs is None else jnp.asarray(pairs)
  placement = spec.data.placement
  if num_examples is None and placement == 'sharded':
    raise ValueError('make_step needs num_examples with data.placement=sharded')
  static = spec.static()

  def step(state, dataset, knobs):
    examples = feed_lib.global_batch(placement, dataset, knobs.seed, state.step,
                                     num_examples or dataset['image'].shape[0], static.batch_size,
                                     pairs)
    return train_step(state, examples, knobs, spec=static, bound=bound)
  if stacked:
    step = jax.vmap(step, in_axes=(0, None, 0))
  return parallel.data_parallel(step, mesh, dataset_spec=feed_lib.dataset_spec(placement))
