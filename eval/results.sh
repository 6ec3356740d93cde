#!/usr/bin/env bash
# Trains every row of a results table with several seeds, runs its evaluation programs
# on the validation and test splits, and writes the tables (RUNS/results.md,
# results.json, results.png) with eval.report.
#   eval/results.sh RUNS_DIR
# Environment (all optional):
#   SEEDS="0 1 2"          training seeds of every row (evaluation pairs use their own fixed seed)
#   DATASETS="mnist5k lines rotated_mnist5k"   (also synthetic_heads, fashion_mnist)
#   STEPS=600              num_steps of mnist5k / fashion rows (600: the demo schedule)
#   ROTATED_STEPS=1000     num_steps of rotated_mnist5k rows
#   LINES_STEPS=1000       num_steps of lines rows
#   HEADS_STEPS=4000       num_steps of synthetic_heads rows
#   VARIANTS="atnl_ordinal vae ..."   a subset of the rows below
#   ROWS="name:method[:flags]..."     rows of your own (one per line), in place of the dataset's
#   EXTRA_FLAGS="--config.KEY=VALUE ..."   added to every training command
#   INTERPOLATION_ONLY=1   on mnist5k / fashion: only eval.interpolate (validation and
#                          test), not generation and representation (learning curves)
#   AGAINST=ROW            eval.report's --against (paired differences to that row)
# The seeds of a row still to evaluate train as one sweep (--config.sweep=seed=...: one
# process, one compile, RUNS/DATASET/ROW/seed<N>/ each), added to the row's earlier seeds:
# a run whose evaluations are complete is skipped, so the script resumes where it stopped
# and SEEDS="0 1 2 3 4" after "0 1 2" trains and evaluates seeds 3 and 4 only. A seed that
# fails (diverges, collapses, or an evaluation that fails) is recorded as
# RUNS/DATASET/ROW/seed<N>/eval/failed.json, shown in the table, and not retried (delete
# that file to retry it); the other seeds and rows go on, and the script exits 1 at the end.
set -uo pipefail
RUNS=${1:-runs/results}
PY=${PY:-python}
SEEDS=${SEEDS:-"0 1 2"}
DATASETS=${DATASETS:-"mnist5k lines rotated_mnist5k"}
STEPS=${STEPS:-600}
LINES_STEPS=${LINES_STEPS:-1000}
ROTATED_STEPS=${ROTATED_STEPS:-1000}
HEADS_STEPS=${HEADS_STEPS:-4000}
EXTRA_FLAGS=${EXTRA_FLAGS:-}
status=0

# name:method[:override ...]  -- the neighbour rule of each atnl row is named, so the
# rows do not depend on the default (which is chosen on validation, docs/choices.md).
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
ROWS_HEADS="atnl:atnl
vae:vae
triplet:triplet
acai:acai
atnl_split:atnl_split:--config.model.semantic_dims=16 --config.atn.margin=0.5
cvae:cvae:--config.model.semantic_dims=16"

# Runs an evaluation program; on failure, records the seed as failed and returns 1.
evaluate() {
  local dir=$1; shift
  if ! "$PY" "$@" --workdir="$dir"; then
    "$PY" -m eval.failures --runs="$(dirname "$dir")" --seeds="${dir##*seed}" --steps="$steps" \
      --dataset="$dataset" --method="$method" --message="evaluation failed: ${*}" > /dev/null
    status=1
    return 1
  fi
}

for dataset in $DATASETS; do
  case $dataset in
    lines) config=train/configs/lines.py; rows=$ROWS_LINES; steps=$LINES_STEPS ;;
    rotated_mnist5k) config=train/configs/rotated_atnl.py; rows=$ROWS_ROTATED; steps=$ROTATED_STEPS ;;
    synthetic_heads) config=train/configs/heads_atnl.py; rows=$ROWS_HEADS; steps=$HEADS_STEPS ;;
    fashion_mnist) config=train/configs/fashion_atnl.py; rows=$ROWS_IMAGES; steps=$STEPS ;;
    *) config=train/configs/mnist5k.py; rows=$ROWS_IMAGES; steps=$STEPS ;;
  esac
  rows=${ROWS:-$rows}
  while IFS=: read -r name method overrides; do
    if [ -n "${VARIANTS:-}" ] && [[ " $VARIANTS " != *" $name "* ]]; then continue; fi
    row=$RUNS/$dataset/$name
    pending=""
    for seed in $SEEDS; do
      done_marker=$row/seed$seed/eval/done-$steps
      if [ ! -f "$done_marker" ] && [ ! -f "$row/seed$seed/eval/failed.json" ]; then
        pending="${pending:+$pending }$seed"
      fi
    done
    if [ -z "$pending" ]; then continue; fi
    echo "== $dataset $name seeds $SEEDS ($steps steps; to evaluate: $pending) =="
    # shellcheck disable=SC2086
    "$PY" -m train.main --config=$config --workdir="$row" --config.method="$method" \
      --config.data.name="$dataset" --config.num_steps="$steps" --config.sweep="seed=${pending// /,}" \
      --config.log_every=100 --config.checkpoint_every="$steps" $overrides $EXTRA_FLAGS
    trained=$?
    failed=$("$PY" -m eval.failures --runs="$row" --seeds="${pending// /,}" --steps="$steps" \
      --dataset="$dataset" --method="$method" \
      --message="training exited with status $trained before the schedule's end")
    if [ -n "$failed" ]; then status=1; echo "failed (recorded): $failed"; fi
    for seed in $pending; do
      dir=$row/seed$seed
      [ -f "$dir/eval/failed.json" ] && continue
      case $dataset in
        lines) evaluate "$dir" -m eval.lines && evaluate "$dir" -m eval.representation ;;
        rotated_mnist5k)
          evaluate "$dir" -m eval.interpolate && evaluate "$dir" -m eval.viewpoint ;;
        synthetic_heads)
          evaluate "$dir" -m eval.evaluate --evaluators=interpolate,inbetween,prototype_angles,viewpoint ;;
        *)
          evaluate "$dir" -m eval.interpolate --split=validation && evaluate "$dir" -m eval.interpolate &&
            if [ -z "${INTERPOLATION_ONLY:-}" ]; then
              evaluate "$dir" -m eval.generation && evaluate "$dir" -m eval.representation
            fi ;;
      esac
      [ -f "$dir/eval/failed.json" ] || { mkdir -p "$dir/eval" && touch "$dir/eval/done-$steps"; }
    done
  done <<< "$rows"
done
"$PY" -m eval.report --runs="$RUNS" ${AGAINST:+--against="$AGAINST"} || status=1
exit $status
