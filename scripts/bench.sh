#!/usr/bin/env bash
# Performance figures: the whole corpus against a bare quick-xml tokenize, and the wall time of
# the released binary on a small repository (what a pre-commit hook feels).
# Usage: scripts/bench.sh [CORPUS] [SMALL_REPO]
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:-../shared/corpus}
small=${2:-$corpus/trailheadapps__dreamhouse-lwc}

cargo build --release --quiet
cargo bench --quiet --bench corpus -- "$corpus" 5

bin=target/release/sfpolicy
runs=21
times=()
for _ in $(seq $runs); do
    start=$(date +%s%N)
    "$bin" check --no-forceignore --format json "$small" > /dev/null || true
    end=$(date +%s%N)
    times+=($(( (end - start) / 1000 )))
done
median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( runs / 2 + 1 ))p")
printf 'small repo      %s\n' "$small"
printf 'small check     %d.%03d ms wall, median of %d runs of the binary (target <= 20 ms)\n' \
    $(( median / 1000 )) $(( median % 1000 )) "$runs"
