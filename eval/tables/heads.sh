#!/usr/bin/env bash
# docs/results.md, "synthetic_heads": the viewpoint interpolation table, in-between views
# and editing, heads_atnl's 4,000 steps, 3 seeds per row (atnl, the baselines, atnl_split,
# cvae); paired differences to atnl. About 20 CPU hours on 2 cores.
#   eval/tables/heads.sh RUNS_DIR
set -uo pipefail
export SEEDS=${SEEDS:-"0 1 2"} DATASETS=synthetic_heads HEADS_STEPS=${HEADS_STEPS:-4000}
export AGAINST=${AGAINST:-synthetic_heads/atnl}
exec "$(dirname "$0")/../results.sh" "${1:-runs/heads}"
