#!/usr/bin/env bash
# Fuzz every target for SECONDS each (default 60, what CI runs; 600 for a real session).
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`). Without a sanitizer it builds on the
# stable toolchain too (measured); FUZZ_TOOLCHAIN=nightly picks another one.
#
# Each target starts from fuzz/regressions/<target> (inputs that once crashed it: they must pass
# first) and keeps what it learns in fuzz/corpus/<target> (not committed). A crash stops the run
# with its input in fuzz/artifacts/<target>/: fix it, then copy the input into
# fuzz/regressions/<target>/ so that it stays fixed.
#
# No sanitizer (-s none): sfpolicy is safe Rust, and without AddressSanitizer the policy target
# runs about 7 times faster (measured: 26 vs 190 runs per second).
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(xml_model formula config policies)
fi
cargo ${FUZZ_TOOLCHAIN:+"+$FUZZ_TOOLCHAIN"} fuzz build -s none
for target in "${targets[@]}"; do
    # The policy target reads a structure (a list of generated files): it needs long inputs from
    # the start, where libFuzzer would otherwise grow them slowly.
    extra=()
    case $target in
        xml_model | formula) max_len=65536 ;;
        policies) max_len=8192 extra=(-len_control=0) ;;
        *) max_len=8192 ;;
    esac
    mkdir -p "corpus/$target" "regressions/$target"
    echo "fuzz: $target for ${seconds}s"
    log=$(mktemp)
    if ! cargo ${FUZZ_TOOLCHAIN:+"+$FUZZ_TOOLCHAIN"} fuzz run -s none "$target" "corpus/$target" "regressions/$target" -- \
        -max_total_time="$seconds" -max_len="$max_len" -rss_limit_mb=4096 -timeout=10 \
        -print_final_stats=1 "${extra[@]}" >"$log" 2>&1; then
        tail -n 60 "$log"
        echo "fuzz: $target failed; the input is in fuzz/artifacts/$target/" >&2
        exit 1
    fi
    grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb)|^#[0-9]+ +DONE' "$log" || true
    rm -f "$log"
done
