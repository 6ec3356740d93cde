#!/usr/bin/env bash
# docs/results.md, "rotated_mnist5k": the viewpoint interpolation table and editing,
# 1,000 steps, 3 seeds per row; paired differences to atnl. About 6 CPU hours on 2 cores.
#   eval/tables/rotated.sh RUNS_DIR
set -uo pipefail
export SEEDS=${SEEDS:-"0 1 2"} DATASETS=rotated_mnist5k ROTATED_STEPS=${ROTATED_STEPS:-1000}
export AGAINST=${AGAINST:-rotated_mnist5k/atnl_ordinal}
exec "$(dirname "$0")/../results.sh" "${1:-runs/rotated}"
