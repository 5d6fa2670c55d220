#!/usr/bin/env bash
# Times feedback's import and report on data from ../shared/bench/gen.py (the peers' data set).
# Usage: bench/run.sh [ROWS]   (default 100000; 1000000 for the QUALITY.md targets)
# Prints wall time and peak memory (GNU time) of each step; data and stores go to $BENCH_DIR.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
rows=${1:-100000}
dir=${BENCH_DIR:-/tmp/feedback-bench}
gen="$root/../shared/bench/gen.py"
[ -f "$gen" ] || { echo "bench: $gen is missing (../shared beside the checkout)" >&2; exit 1; }
command -v /usr/bin/time >/dev/null || { echo "bench: GNU time is needed (apt-get install time)" >&2; exit 1; }

mkdir -p "$dir"
[ -f "$dir/data-$rows.csv" ] || python3 "$gen" --rows "$rows" --seed 1 --csv "$dir/data-$rows.csv" --jsonl "$dir/data-$rows.jsonl" >&2
# SCRATCH: the build folder (default .build), so that a worktree can keep its own build lock.
scratch=${SCRATCH:-$root/.build}
(cd "$root" && swift build -c release --product feedback --scratch-path "$scratch" >&2)
feedback="$scratch/release/feedback"
# 100k other responses (another seed), imported into an empty store and into the CSV store.
[ -f "$dir/more-100000.csv" ] || python3 "$gen" --rows 100000 --seed 2 --csv "$dir/more-100000.csv" --jsonl "$dir/more-100000.jsonl" >&2

step() { # name, then the command
  local name=$1; shift
  /usr/bin/time -f "%e %M" -o "$dir/time.txt" "$@" > /dev/null 2> "$dir/last.log" || [ $? -eq 2 ]
  read -r seconds kib < "$dir/time.txt"
  printf '%-28s %8s s %8d MiB\n' "$name" "$seconds" $((kib / 1024))
}

rm -f "$dir"/store-*.sqlite*
echo "rows: $rows"
step "import CSV"         "$feedback" import "$dir/data-$rows.csv"   --form bench-survey -w "$here/workspace" --store "$dir/store-csv.sqlite"   --rejects "$dir/rejects.csv"
step "import JSON Lines"  "$feedback" import "$dir/data-$rows.jsonl" --form bench-survey -w "$here/workspace" --store "$dir/store-jsonl.sqlite" --rejects "$dir/rejects.csv"
step "re-import CSV (all duplicates)" "$feedback" import "$dir/data-$rows.csv" --form bench-survey -w "$here/workspace" --store "$dir/store-csv.sqlite" --rejects "$dir/rejects.csv"
step "report 2025-06"     "$feedback" report --month 2025-06 --quiet -w "$here/workspace" --store "$dir/store-csv.sqlite" --out "$dir/report"
# The growth target compares two imports of about a second each, where this machine's speed drifts
# by a third from one run to the next: three pairs, each into a new empty store and into a fresh
# copy of the CSV store, run back to back; the ratio is of the medians.
cp "$dir/store-csv.sqlite" "$dir/store-csv-before-more.sqlite"
sync "$dir/store-csv-before-more.sqlite"
empty=(); full=()
for pass in 1 2 3; do
  rm -f "$dir/store-more.sqlite"*
  step "import 100k more, empty store" "$feedback" import "$dir/more-100000.csv" --form bench-survey -w "$here/workspace" --store "$dir/store-more.sqlite" --rejects "$dir/rejects.csv"
  empty+=("$seconds")
  cp "$dir/store-csv-before-more.sqlite" "$dir/store-csv.sqlite"
  # The copy is written out before the timing: else the commit's fsync of the store waits for the
  # kernel to write the copy's few hundred MB too, which is the harness's cost, not the import's.
  sync "$dir/store-csv.sqlite"
  step "import 100k more into CSV store" "$feedback" import "$dir/more-100000.csv" --form bench-survey -w "$here/workspace" --store "$dir/store-csv.sqlite" --rejects "$dir/rejects.csv"
  full+=("$seconds")
done
rm -f "$dir/store-csv-before-more.sqlite"
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
e=$(median "${empty[@]}"); f=$(median "${full[@]}")
printf 'into the CSV store / empty store: %s s / %s s = %s (medians of three)\n' "$f" "$e" "$(awk -v f="$f" -v e="$e" 'BEGIN { printf "%.2f", f / e }')"
