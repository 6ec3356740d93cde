#!/usr/bin/env bash
# docs/results.md, "mnist5k at 2,000 steps": every row trained to 600 steps, evaluated,
# resumed to 2,000 and evaluated again, 5 seeds, both splits; the report's paired
# differences are to atnl at 2,000 steps. About 14 CPU hours on 2 cores.
#   eval/tables/mnist5k.sh RUNS_DIR
set -uo pipefail
export SEEDS=${SEEDS:-"0 1 2 3 4"} DATASETS=mnist5k CURVE_STEPS=${CURVE_STEPS:-"600 2000"}
export VARIANTS=${VARIANTS:-"atnl_ordinal atnl_graded triplet_ordinal aae vae acai acai_lr1e-4"}
export AGAINST=${AGAINST:-mnist5k/atnl_ordinal/num_steps=2000}
exec "$(dirname "$0")/../curves.sh" "${1:-runs/mnist5k}"
