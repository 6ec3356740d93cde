"""Defaults shared by every config: the paper's MNIST settings for the atnl method."""

import ml_collections

from jsemrep.methods import terms


def get_config():
  config = ml_collections.ConfigDict()
  config.method = 'atnl'
  config.seed = 0

  config.data = ml_collections.ConfigDict()
  config.data.name = 'mnist5k'
  config.data.data_dir = ''      # '' -> $JSEMREP_DATA_DIR or ~/.cache/jsemrep/datasets
  config.data.manual_dir = ''    # '' -> the dataset's default source
  # Where the training examples live: 'device' (replicated on every device, fastest for
  # small data), 'sharded' (1/N of them per device) or 'host' (batches gathered on the
  # host a few steps ahead); the same batches in the same order (train/feed.py).
  config.data.placement = 'device'
  # Your own data (data.name='folder', data.manual_dir=DIR: one folder per class):
  # the class order where the folder names are not numbers ('small,medium,large'),
  # whether the classes form a ring, an identity pattern over file names (a regex with
  # one group, e.g. '^(\\d+)_'), and the size to resize to (H, W; unset: as found).
  config.data.classes = ''
  config.data.circular = False
  config.data.identity = ''
  config.data.image_size = ml_collections.config_dict.placeholder(tuple)

  config.model = ml_collections.ConfigDict()
  # Unset: the data's (height, width, channels); a shape given must be the data's.
  config.model.image_shape = ml_collections.config_dict.placeholder(tuple)
  config.model.latent_dim = 64
  # The split latent: z = [s, c], s the first semantic_dims dimensions (ATNL, prototypes,
  # paths and edits act on s / |s|), c the rest (what an edit keeps); 0: one latent.
  config.model.semantic_dims = 0
  config.model.channels = (32, 64, 128)
  config.model.hidden = (512, 256)
  config.model.upsampling = 'subpixel'            # or 'transpose' (the paper's layer)
  config.model.downsampling = 'space_to_depth'    # or 'strided': the same function, slower on CPU
  # Computation dtype of the VAE: 'bfloat16' computes in bf16; parameters, optimiser
  # state and losses stay float32.
  config.model.dtype = 'float32'

  config.loss = ml_collections.ConfigDict()
  config.loss.reconstruction = 'l1'
  # Unset weights take the method's defaults (jsemrep/methods/terms.py: register_term,
  # and each Critic's weight for `adv`); set one to override it, e.g.
  # --config.loss.weights.kl=0. A registered term not in the method joins it when its
  # weight is set here (a term registered later: config.loss.weights.NAME = W).
  config.loss.weights = ml_collections.ConfigDict(
      {name: ml_collections.config_dict.placeholder(float) for name in [*terms.TERMS, 'adv']})

  config.atn = ml_collections.ConfigDict()
  config.atn.margin = 1.2
  config.atn.neighbor = 'ordinal'
  # 'constant' (the paper's m) or 'graded' (m (d_n - d_p): meetable by an evenly spaced
  # order when m (K - 1) <= pi; a constant margin under the ordinal rule is not, beyond
  # K - 1 > pi / m classes, and training warns so).
  config.atn.margin_mode = 'constant'
  config.atn.triplets_per_anchor = 4

  config.triplet = ml_collections.ConfigDict()
  config.triplet.margin = 0.2     # FaceNet margin on squared distances of unit codes

  config.acai = ml_collections.ConfigDict()
  config.acai.gamma = 0.2         # critic regulariser: blend gamma*x + (1-gamma)*x_hat

  config.critic = ml_collections.ConfigDict()   # discriminator / critic optimiser
  config.critic.learning_rate = 1e-3
  config.critic.b1 = 0.5

  config.batch_size = 256
  config.learning_rate = 1e-3
  config.num_steps = 2000
  config.num_devices = 0          # 0 -> every visible device
  config.log_every = 50
  config.checkpoint_every = 500
  config.keep_checkpoints = 3
  # Every eval_every steps (a multiple of log_every; 0: off), the evaluators named in
  # `evals` (jsemrep/evaluators/) score the validation split; their columns go to
  # metrics.jsonl and TensorBoard as val/NAME/KEY. Those needing the evaluation
  # classifier wait until it is cached (python -m eval.classifier).
  config.eval_every = 0
  config.evals = 'reconstruction,prototype_angles,interpolate_small'
  # Stop when the spread of code directions in a batch, 1 - |mean of z/|z||, falls
  # below this (every code pointing one way: a collapse with finite losses); 0: off.
  config.stop_on_collapse = 0.0
  # A sweep: a product of values of the numeric knobs (train/sweep.py SWEEPABLE and
  # loss.weights.NAME), e.g. 'atn.margin=0.9,1.2 seed=0,1'; every variant trains from
  # one compiled step into WORKDIR/<variant>/ ('': one run in WORKDIR).
  config.sweep = ''
  # 'sequential' (variants one after the other through the same step) or 'vmap' (all
  # at once, the step vmapped over variants); bench/sweep.py measures which is faster.
  config.sweep_mode = 'sequential'
  return config
