#!/usr/bin/env bash
# Performance figures: the whole corpus against a bare quick-xml tokenize, and the wall time of
# the released binary on a small repository (what a pre-commit hook feels).
# Usage: scripts/bench.sh [CORPUS] [SMALL_REPO]
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=${1:-../shared/corpus}
small=${2:-$corpus/trailheadapps__dreamhouse-lwc}

cargo build --release --quiet
[ -n "${SKIP_CORPUS:-}" ] || cargo bench --quiet --bench corpus -- "$corpus" 9

bin=target/release/sfpolicy
runs=21

# Median wall time, in microseconds, of $runs runs of the command (its exit status ignored: a
# check with findings exits 1).
median_us() {
    local times=() start end
    for _ in $(seq $runs); do
        start=$(date +%s%N)
        "$@" > /dev/null || true
        end=$(date +%s%N)
        times+=($(( (end - start) / 1000 )))
    done
    printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( runs / 2 + 1 ))p"
}

median=$(median_us "$bin" check --no-forceignore --format json "$small")
printf 'small repo      %s\n' "$small"
printf 'small check     %d.%03d ms wall, median of %d runs of the binary (target <= 20 ms)\n' \
    $(( median / 1000 )) $(( median % 1000 )) "$runs"

# Scale (issue 14): a generated org of LARGE_MB megabytes (default 1000) for peak memory against
# the bytes read, and a 4,000-file org for the repeat run a pre-commit hook feels. Generated into
# a temporary folder, never committed.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
large_mb=${LARGE_MB:-1000}
scripts/gen-large-org --mb "$large_mb" --out "$tmp/large" > /dev/null 2>&1
large_bytes=$(find "$tmp/large/force-app" -type f -printf '%s\n' | awk '{s += $1} END {print s}')
/usr/bin/time -f '%e %M' -o "$tmp/large.time" "$bin" check --format json "$tmp/large" > /dev/null || true
read -r large_s large_kb < <(tail -n 1 "$tmp/large.time")  # after "Command exited with non-zero status 1"
printf 'large org       %d MB of metadata: %s s, peak RSS %d MB = %.2fx the bytes read (target <= 0.60)\n' \
    $(( large_bytes / 1000000 )) "$large_s" $(( large_kb / 1024 )) \
    "$(awk -v kb="$large_kb" -v b="$large_bytes" 'BEGIN {print kb * 1024 / b}')"
rm -rf "$tmp/large"

scripts/gen-large-org --files 4000 --out "$tmp/org4k" > /dev/null 2>&1
"$bin" check --format json "$tmp/org4k" > /dev/null || true   # warm the page cache
median=$(median_us "$bin" check --format json "$tmp/org4k")
printf 'repeat run      4,000-file org: %d.%03d ms wall, median of %d runs (target < 200 ms)\n' \
    $(( median / 1000 )) $(( median % 1000 )) "$runs"

# The same repeat run with --cache (issue 14: a whole-run cache keyed by every input's content):
# the first run stores, the next ones replay.
"$bin" check --format json --cache "$tmp/cache" "$tmp/org4k" > /dev/null || true
median=$(median_us "$bin" check --format json --cache "$tmp/cache" "$tmp/org4k")
printf 'repeat, cached  4,000-file org with --cache: %d.%03d ms wall, median of %d runs\n' \
    $(( median / 1000 )) $(( median % 1000 )) "$runs"

# Five copies of the corpus (hard links, no extra disk): peak memory against the bytes read on
# real metadata (many small files, where per-file overhead counts). Skipped with SKIP_CORPUS=1.
if [ -z "${SKIP_CORPUS:-}" ]; then
    mkdir -p "$tmp/corpus5"
    for i in 1 2 3 4 5; do cp -al "$corpus" "$tmp/corpus5/c$i" 2>/dev/null || cp -a "$corpus" "$tmp/corpus5/c$i"; done
    SFPOLICY_TIMINGS=1 /usr/bin/time -f '%e %M' -o "$tmp/c5.time" "$bin" check --no-forceignore --format json "$tmp/corpus5" 2> "$tmp/c5.err" > /dev/null || true
    c5_bytes=$(sed -n 's/.* metadata files, \([0-9.]*\) MB read.*/\1/p' "$tmp/c5.err")
    read -r c5_s c5_kb < <(tail -n 1 "$tmp/c5.time")
    printf 'corpus x5       %s MB of metadata: %s s, peak RSS %d MB = %.2fx the bytes read (target <= 0.60)\n' \
        "$c5_bytes" "$c5_s" $(( c5_kb / 1024 )) \
        "$(awk -v kb="$c5_kb" -v mb="$c5_bytes" 'BEGIN {print kb * 1024 / (mb * 1e6)}')"
fi
