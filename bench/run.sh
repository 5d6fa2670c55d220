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
step "import 100k more, empty store" "$feedback" import "$dir/more-100000.csv" --form bench-survey -w "$here/workspace" --store "$dir/store-more.sqlite" --rejects "$dir/rejects.csv"
step "import 100k more into CSV store" "$feedback" import "$dir/more-100000.csv" --form bench-survey -w "$here/workspace" --store "$dir/store-csv.sqlite" --rejects "$dir/rejects.csv"
