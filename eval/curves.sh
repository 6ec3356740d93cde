#!/usr/bin/env bash
# Learning curves: the rows of eval/results.sh trained in turn to each schedule of
# CURVE_STEPS, each longer schedule resuming the shorter one (a resumed run equals an
# uninterrupted one: tests/test_train.py), with the evaluations after each schedule kept
# as RUNS/curves/DATASET/ROW/num_steps=S/seedN/eval. eval.report --runs=RUNS/curves then
# writes the table of every row at every schedule and RUNS/curves/sweep_num_steps.png:
# slerp accuracy and visits (semantic and direct) against steps, a line per row.
#   eval/curves.sh RUNS_DIR
# Environment (all optional): CURVE_STEPS="600 2000" (increasing), and those of
# eval/results.sh: SEEDS, DATASETS (default here: mnist5k), VARIANTS, PY,
# INTERPOLATION_ONLY (default here: 1, the curves' columns).
set -euo pipefail
RUNS=${1:-runs/curves}
CURVE_STEPS=${CURVE_STEPS:-"600 2000"}
export DATASETS=${DATASETS:-mnist5k}
export INTERPOLATION_ONLY=${INTERPOLATION_ONLY-1}
for steps in $CURVE_STEPS; do
  STEPS=$steps LINES_STEPS=$steps ROTATED_STEPS=$steps "$(dirname "$0")/results.sh" "$RUNS/train"
  for marker in "$RUNS"/train/*/*/seed*/eval/done-"$steps"; do
    [ -e "$marker" ] || continue
    run=$(dirname "$(dirname "$marker")")
    relative=${run#"$RUNS"/train/}
    kept="$RUNS/curves/$(dirname "$relative")/num_steps=$steps/$(basename "$relative")"
    # Kept once: a later pass (another VARIANTS, a longer schedule) finds the run's eval
    # directory holding a longer schedule's evaluations beside this old marker.
    [ -e "$kept/eval" ] && continue
    mkdir -p "$kept"
    cp -r "$run/eval" "$kept/eval"
  done
done
${PY:-python} -m eval.report --runs="$RUNS/curves"
