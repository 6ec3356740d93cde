#!/usr/bin/env bash
# Trains every method on each dataset, runs every evaluation program, writes the table.
#   eval/results.sh RUNS_DIR [STEPS]   (STEPS: override num_steps; default: the configs')
# Environment: METHODS, DATASETS (space-separated) to run a subset.
set -euo pipefail
RUNS=${1:-runs/results}
STEPS=${2:-}
PY=${PY:-python}
METHODS=${METHODS:-"vae aae acai triplet atnl atnl_adv vaegan"}
DATASETS=${DATASETS:-"mnist5k rotated_mnist5k fashion_mnist lines"}
for dataset in $DATASETS; do
  case $dataset in
    lines) config=train/configs/lines.py ;;
    rotated_mnist5k) config=train/configs/rotated_atnl.py ;;   # margin 0.9, as for Multi-PIE
    fashion_mnist) config=train/configs/fashion_atnl.py ;;
    *) config=train/configs/mnist5k.py ;;
  esac
  for method in $METHODS; do
    dir=$RUNS/$dataset/$method
    $PY -m train.main --config=$config --workdir="$dir" --config.method=$method \
      --config.data.name=$dataset ${STEPS:+--config.num_steps=$STEPS} --config.log_every=100
    if [ "$dataset" = lines ]; then
      $PY -m eval.lines --workdir="$dir"
    else
      $PY -m eval.interpolate --workdir="$dir"
      $PY -m eval.generation --workdir="$dir"
    fi
    $PY -m eval.representation --workdir="$dir"
  done
done
$PY -m eval.report --runs="$RUNS"
