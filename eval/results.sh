#!/usr/bin/env bash
# Trains every reported row with several seeds, runs every evaluation program on the
# validation and test splits, and writes the tables (RUNS/results.md, results.json,
# results.png) with eval.report.
#   eval/results.sh RUNS_DIR
# Environment (all optional):
#   SEEDS="0 1 2"          training seeds of every row (evaluation pairs use their own fixed seed)
#   DATASETS="mnist5k lines rotated_mnist5k"   (rotated_mnist5k: the viewpoint-editing rows)
#   STEPS=600              num_steps of mnist5k / fashion rows (600: the demo schedule)
#   ROTATED_STEPS=1000     num_steps of rotated_mnist5k rows
#   LINES_STEPS=1000       num_steps of lines rows
#   VARIANTS="atnl_ordinal vae ..."   a subset of the rows below
#   INTERPOLATION_ONLY=1   on mnist5k / fashion: only eval.interpolate (validation and
#                          test), not generation and representation (learning curves)
# The seeds of a row still to evaluate train as one sweep (--config.sweep=seed=...: one
# process, one compile, RUNS/DATASET/ROW/seed<N>/ each), added to the row's earlier seeds:
# a run whose evaluations are complete is skipped, so the script resumes where it stopped
# and SEEDS="0 1 2 3 4" after "0 1 2" trains and evaluates seeds 3 and 4 only.
set -euo pipefail
RUNS=${1:-runs/results}
PY=${PY:-python}
SEEDS=${SEEDS:-"0 1 2"}
DATASETS=${DATASETS:-"mnist5k lines rotated_mnist5k"}
STEPS=${STEPS:-600}
LINES_STEPS=${LINES_STEPS:-1000}
ROTATED_STEPS=${ROTATED_STEPS:-1000}

# name:method[:override ...]  -- the neighbour rule of each atnl row is named, so the
# rows do not depend on the default (which is chosen on validation, docs/evaluation.md).
ROWS_IMAGES="atnl_ordinal:atnl:--config.atn.neighbor=ordinal
atnl_adjacent:atnl:--config.atn.neighbor=adjacent
atnl_graded:atnl:--config.atn.neighbor=ordinal --config.atn.margin_mode=graded --config.atn.margin=0.2
triplet_ordinal:triplet_ordinal
vae:vae
atnl_all:atnl:--config.atn.neighbor=all
triplet:triplet
aae:aae
acai:acai
acai_lr1e-4:acai:--config.learning_rate=1e-4
atnl_adv:atnl_adv:--config.atn.neighbor=ordinal
vaegan:vaegan"
ROWS_ROTATED="atnl_ordinal:atnl:--config.atn.neighbor=ordinal
vae:vae
acai:acai
triplet:triplet"
ROWS_LINES="atnl_ordinal:atnl:--config.atn.neighbor=ordinal
vae:vae
acai:acai
triplet:triplet
aae:aae"

for dataset in $DATASETS; do
  case $dataset in
    lines) config=train/configs/lines.py; rows=$ROWS_LINES; steps=$LINES_STEPS ;;
    rotated_mnist5k) config=train/configs/rotated_atnl.py; rows=$ROWS_ROTATED; steps=$ROTATED_STEPS ;;
    fashion_mnist) config=train/configs/fashion_atnl.py; rows=$ROWS_IMAGES; steps=$STEPS ;;
    *) config=train/configs/mnist5k.py; rows=$ROWS_IMAGES; steps=$STEPS ;;
  esac
  while IFS=: read -r name method overrides; do
    if [ -n "${VARIANTS:-}" ] && [[ " $VARIANTS " != *" $name "* ]]; then continue; fi
    pending=""
    for seed in $SEEDS; do
      if [ ! -f "$RUNS/$dataset/$name/seed$seed/eval/done-$steps" ]; then pending="${pending:+$pending }$seed"; fi
    done
    if [ -z "$pending" ]; then continue; fi
    echo "== $dataset $name seeds $SEEDS ($steps steps; to evaluate: $pending) =="
    # shellcheck disable=SC2086
    $PY -m train.main --config=$config --workdir="$RUNS/$dataset/$name" --config.method="$method" \
      --config.data.name="$dataset" --config.num_steps="$steps" --config.sweep="seed=${pending// /,}" \
      --config.log_every=100 --config.checkpoint_every="$steps" $overrides
    for seed in $pending; do
      dir=$RUNS/$dataset/$name/seed$seed
      case $dataset in
        lines) $PY -m eval.lines --workdir="$dir" ;;
        rotated_mnist5k)
          $PY -m eval.interpolate --workdir="$dir"
          $PY -m eval.viewpoint --workdir="$dir" ;;
        *)
          $PY -m eval.interpolate --workdir="$dir" --split=validation
          $PY -m eval.interpolate --workdir="$dir"
          if [ -z "${INTERPOLATION_ONLY:-}" ]; then
            $PY -m eval.generation --workdir="$dir"
            $PY -m eval.representation --workdir="$dir"
          fi ;;
      esac
      if [ "$dataset" = lines ]; then $PY -m eval.representation --workdir="$dir"; fi
      touch "$dir/eval/done-$steps"
    done
  done <<< "$rows"
done
$PY -m eval.report --runs="$RUNS"
