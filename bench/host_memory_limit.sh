#!/usr/bin/env bash
# Trains a folder dataset under an enforced memory limit (a cgroup v1 memory controller,
# page cache included; run as root) with the host placement, whose batches are read from
# the prepared files, and with the device placement, which holds the split in memory;
# then the same steps of both without the limit, whose logged losses must be equal (the
# same batches). The limit is the peak memory of the same training with the host
# placement on a small folder of the same image size (all the process needs besides its
# data), plus a quarter of the large split's arrays.
#   bench/host_memory_limit.sh SOURCE_DIR SMALL_SOURCE_DIR DATA_DIR [STEPS]
# SOURCE_DIR, SMALL_SOURCE_DIR: folder datasets, e.g. written (and prepared) by
# python -m bench.host_batches --synthetic_folder=50000 (and =500) --manual_dir=DIR
# --data_dir=DATA_DIR (DATA_DIR/small for the small one).
set -euo pipefail
SOURCE=$1
SMALL=$2
DATA=$3
STEPS=${4:-10}
PY=${PY:-python}
CGROUP=/sys/fs/cgroup/memory/jsemrep_host_memory_limit
OUT=$(mktemp -d)

train() {   # train PLACEMENT WORKDIR LIMIT_MB|none [SOURCE]
  local cmd=("$PY" -m train.main --config=train/configs/folder_atnl.py --workdir="$2"
             --config.data.manual_dir="${4:-$SOURCE}" --config.data.data_dir="$DATA${4:+/small}"
             --config.data.placement="$1" --config.num_steps="$STEPS" --config.log_every=5
             --config.checkpoint_every="$STEPS")
  if [ "$3" != none ]; then
    mkdir -p "$CGROUP"
    echo $(($3 * 1024 * 1024)) > "$CGROUP/memory.limit_in_bytes"
    echo 0 > "$CGROUP/memory.max_usage_in_bytes"
    bash -c "echo \$\$ > $CGROUP/cgroup.procs && exec \"\$@\"" _ "${cmd[@]}" > "$2.log" 2>&1
  else
    "${cmd[@]}" > "$2.log" 2>&1
  fi
}

peak_mb() { echo $(( $(cat "$CGROUP/memory.max_usage_in_bytes") / 1024 / 1024 )); }

ARRAYS_MB=$("$PY" -c "
import sys
from jsemrep import data
records = data.records('folder', 'train', sys.argv[2], sys.argv[1])
print(len(records) * records.take([0])['image'][0].nbytes // 2 ** 20)" "$SOURCE" "$DATA")
train host "$OUT/small" 1000000 "$SMALL"
BASE_MB=$(peak_mb)
LIMIT_MB=$(( BASE_MB + ARRAYS_MB / 4 ))
echo "training split: $ARRAYS_MB MB as arrays; the same training on $SMALL peaks at" \
     "$BASE_MB MB; limit: $LIMIT_MB MB (the arrays are 4x the growth it allows)"
for placement in host device; do
  status=0
  train "$placement" "$OUT/$placement-limited" "$LIMIT_MB" || status=$?
  echo "placement=$placement under the limit: exit $status, peak memory $(peak_mb) MB" \
       "(failcnt $(cat "$CGROUP/memory.failcnt")), $(grep -c '^step' \
       "$OUT/$placement-limited.log" || true) step lines logged"
done
rmdir "$CGROUP"
for placement in host device; do
  train "$placement" "$OUT/$placement" none
done
"$PY" -c "
import json, sys
losses = {p: [r['loss'] for r in map(json.loads, open(f'{sys.argv[1]}/{p}/metrics.jsonl'))]
          for p in ('host', 'device')}
print(f'losses logged without the limit, host: {losses[\"host\"]}')
print(f'device: {losses[\"device\"]}; equal: {losses[\"host\"] == losses[\"device\"]}')" "$OUT"
