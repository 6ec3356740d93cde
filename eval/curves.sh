#!/usr/bin/env bash
# Learning curves: the rows of eval/results.sh trained in turn to each schedule of
# CURVE_STEPS, each longer schedule resuming the shorter one (a resumed run equals an
# uninterrupted one: tests/test_train.py), with the evaluations after each schedule kept
# as RUNS/curves/DATASET/ROW/num_steps=S/seedN/eval. eval.report --runs=RUNS/curves then
# writes the table of every row at every schedule and RUNS/curves/sweep_num_steps.png:
# slerp accuracy and visits (semantic and direct) against steps, a line per row.
#   eval/curves.sh RUNS_DIR
# Environment (all optional): CURVE_STEPS="600 2000" (increasing), and those of
# eval/results.sh: SEEDS, DATASETS (default here: mnist5k), VARIANTS, PY, EXTRA_FLAGS,
# INTERPOLATION_ONLY (default here: 1, the curves' columns), AGAINST (a row of the curves'
# report, e.g. mnist5k/atnl_ordinal/num_steps=2000). A failed seed is recorded and the
# others go on (eval/results.sh); the script exits 1 at the end if any seed failed.
set -uo pipefail
status=0
RUNS=${1:-runs/curves}
CURVE_STEPS=${CURVE_STEPS:-"600 2000"}
export DATASETS=${DATASETS:-mnist5k}
export INTERPOLATION_ONLY=${INTERPOLATION_ONLY-1}
for steps in $CURVE_STEPS; do
  STEPS=$steps LINES_STEPS=$steps ROTATED_STEPS=$steps AGAINST= "$(dirname "$0")/results.sh" \
    "$RUNS/train" || status=1
  for marker in "$RUNS"/train/*/*/seed*/eval/done-"$steps" "$RUNS"/train/*/*/seed*/eval/failed.json; do
    [ -e "$marker" ] || continue
    run=$(dirname "$(dirname "$marker")")
    relative=${run#"$RUNS"/train/}
    kept="$RUNS/curves/$(dirname "$relative")/num_steps=$steps/$(basename "$relative")"
    # Kept once: a later pass (another VARIANTS, a longer schedule) finds the run's eval
    # directory holding a longer schedule's evaluations beside this old marker.
    [ -e "$kept/eval" ] && continue
    mkdir -p "$kept/eval"
    if [ "$(basename "$marker")" = failed.json ]; then   # this schedule's failure alone
      grep -q "\"num_steps\": $steps," "$marker" && cp "$marker" "$kept/eval/"
    else
      cp -r "$run/eval/." "$kept/eval/"
    fi
  done
done
${PY:-python} -m eval.report --runs="$RUNS/curves" ${AGAINST:+--against="$AGAINST"} || status=1
exit $status
