#!/usr/bin/env bash
# Builds the fuzz targets (fuzz/) with libFuzzer and AddressSanitizer and runs each for a bounded time.
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     (default: 60 seconds; every target)
#
# 0 seconds builds and stops.
# Targets: csv json jsonl xlsx xls form config page (fuzz/README.md says what each covers).
# Environment:
#   FUZZ_DIR          working corpora, crash inputs and logs (default /tmp/feedback-fuzz); never the repository
#   FUZZ_SCRATCH      the sanitizer build's scratch path (default .build-fuzz-san in the checkout)
#   FUZZ_SKIP_BUILD=1 run what was built last
#   FUZZ_EXTRA_SEEDS  a folder of real files (.csv .json .jsonl .xlsx .xls) to seed from as well, when it exists
#   FUZZ_ARGS         more libFuzzer flags, such as -jobs=2
# Exits 1 if a target crashed, hung or ran out of memory, after saying where the input was saved.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
[ $# -gt 0 ] && shift
all=(csv json jsonl xlsx xls form config page)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${all[@]}")
fuzz_dir=${FUZZ_DIR:-/tmp/feedback-fuzz}
scratch=${FUZZ_SCRATCH:-$root/.build-fuzz-san}

for target in "${targets[@]}"; do
    case " ${all[*]} " in *" $target "*) ;; *) echo "fuzz.sh: unknown target $target (known: ${all[*]})" >&2; exit 2 ;; esac
done
case $seconds in '' | *[!0-9]*) echo "fuzz.sh: SECONDS_PER_TARGET must be a whole number" >&2; exit 2 ;; esac

if [ "${FUZZ_SKIP_BUILD:-}" != 1 ]; then
    # -enable-testing lets the targets reach the readers' internal entry points; FEEDBACK_FUZZ declares
    # the FeedbackFuzz target in Package.swift.
    FEEDBACK_FUZZ=1 swift build --package-path "$root" --scratch-path "$scratch" -c release --product FeedbackFuzz \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -enable-testing
fi
binary=$scratch/release/FeedbackFuzz
[ -x "$binary" ] || { echo "fuzz.sh: $binary was not built" >&2; exit 2; }
[ "$seconds" -eq 0 ] && exit 0

# Options byte(s) the targets read first, put in front of real files used as extra seeds (see fuzz/README.md).
prefix() {
    case $1 in
        csv) printf '\340\377' ;;   # detected encoding and delimiter, 4 KiB reads, no field cap
        *) printf '\000' ;;
    esac
}
extensions() {
    case $1 in
        csv) echo csv ;; json | page) echo json ;; jsonl) echo jsonl ;; xlsx) echo xlsx ;; xls) echo xls ;; *) ;;
    esac
}
max_len() {
    case $1 in xlsx | xls) echo 65536 ;; *) echo 16384 ;; esac
}

# Leaks are not what these targets look for, and the Swift runtime's caches read as leaks at exit.
export ASAN_OPTIONS=detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}

mkdir -p "$fuzz_dir/logs"
status=0
for target in "${targets[@]}"; do
    corpus=$fuzz_dir/corpus/$target
    artifacts=$fuzz_dir/crashes/$target
    mkdir -p "$corpus" "$artifacts"
    seed_dirs=("$root/fuzz/seeds/$target")
    extra=${FUZZ_EXTRA_SEEDS:-}
    if [ -n "$extra" ] && [ -d "$extra" ] && [ -n "$(extensions "$target")" ]; then
        prefixed=$fuzz_dir/extra-seeds/$target
        mkdir -p "$prefixed"
        for file in "$extra"/*."$(extensions "$target")"; do
            [ -f "$file" ] || continue
            { prefix "$target"; cat "$file"; } >"$prefixed/$(basename "$file")"
        done
        seed_dirs+=("$prefixed")
    fi
    dictionary=()
    [ -f "$root/fuzz/dictionaries/$target.dict" ] && dictionary=(-dict="$root/fuzz/dictionaries/$target.dict")
    log=$fuzz_dir/logs/$target-$(date +%Y%m%d-%H%M%S).log
    known=$(find "$artifacts" -type f | sort)
    echo "== $target: $seconds s (log: $log)"
    started=$(date +%s)
    set +e
    # shellcheck disable=SC2086
    FEEDBACK_FUZZ_TARGET=$target "$binary" "$corpus" "${seed_dirs[@]}" "${dictionary[@]}" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$(max_len "$target")" \
        -detect_leaks=0 -print_final_stats=1 -artifact_prefix="$artifacts/" ${FUZZ_ARGS:-} >"$log" 2>&1
    code=$?
    set -e
    elapsed=$(($(date +%s) - started))
    executions=$(grep -h 'stat::number_of_executed_units' "$log" | awk '{ sum += $2 } END { print sum + 0 }')
    new=$(comm -13 <(echo "$known") <(find "$artifacts" -type f | sort) | sed '/^$/d')
    found=$(echo -n "$new" | grep -c . || true)
    # runs.tsv: when the run ended, target, seconds it ran (a crash ends it early), executions, crash inputs.
    printf '%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$target" "$elapsed" "$executions" "$found" >>"$fuzz_dir/runs.tsv"
    echo "   $elapsed s, $executions executions, exit $code, $found new crash inputs"
    if [ $code -ne 0 ] || [ "$found" -gt 0 ]; then
        status=1
        echo "   CRASH in $target; inputs in $artifacts:" >&2
        echo "$new" | sed 's/^/     /' >&2
        grep -m 5 -E 'ERROR|Fatal error|SUMMARY' "$log" | sed 's/^/     /' >&2 || true
        echo "   reproduce: FEEDBACK_FUZZ_TARGET=$target $binary <input>" >&2
    fi
done
exit $status
