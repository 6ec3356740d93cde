#!/bin/bash
# The identity reader on rotated_mnist5k (docs/evaluation.md): trains it (rank-1 across
# views on the validation and test splits), an atnl_split run (train/configs/rotated_split.py,
# seed 0), and evaluates the run's viewpoint edits on the test split, where the identity
# reader's gate and its rank-1 columns stand beside the pixel ones. Resumable.
#   eval/choices/identity_reader.sh [RUNS_DIR]
set -eu
cd "$(dirname "$0")/../.."
PY=${PY:-.venv/bin/python}
RUNS=${1:-runs/choices/identity_reader}
"$PY" -m eval.classifier --dataset=rotated_mnist5k --field=identity
"$PY" -m train.main --config=train/configs/rotated_split.py --workdir="$RUNS/atnl_split" \
  --config.eval_every=0
"$PY" -m eval.viewpoint --workdir="$RUNS/atnl_split" --identities=200
