#!/bin/bash
# The choice of the split latent's invariance weights on rotated_mnist5k, on the
# validation split (docs/choices.md): atnl_split alone and with the scale-free
# invariance terms (c of one identity alike across classes, s of two identities alike
# at one class) at two weights, and the fader preset (cvae with c_invariance); then the
# leak probes (linear and MLP, fitted after training on the frozen codes) and the
# viewpoint edits on 40 identities, and the paired differences to the row without them.
# Resumable: a rerun trains only what is missing.
#   eval/choices/split_invariance.sh [RUNS_DIR]     (SEEDS="0 1 2" for more seeds)
set -u
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
RUNS=${1:-runs/choices/split_invariance}
SEEDS=${SEEDS:-0}
declare -A FLAGS=(
  [base]=""
  [inv10]="--config.loss.weights.c_invariance=10 --config.loss.weights.s_invariance=10"
  [inv1]="--config.loss.weights.c_invariance=1 --config.loss.weights.s_invariance=1"
  [fader]="--config.method=fader"
)
for row in base inv1 inv10 fader; do
  for seed in $SEEDS; do
    $PY -m train.main --config=train/configs/rotated_split.py ${FLAGS[$row]} \
      --config.seed="$seed" --config.log_every=200 --workdir="$RUNS/$row/seed$seed" \
      || echo "training $row seed $seed failed (rc $?): going on"
  done
done
for row in base inv1 inv10 fader; do
  for seed in $SEEDS; do
    $PY -m eval.evaluate --workdir="$RUNS/$row/seed$seed" --evaluators=leak,viewpoint \
      --split=validation --identities=40 || echo "evaluating $row seed $seed failed (rc $?): going on"
  done
done
$PY -m eval.report --runs="$RUNS" --against=base
