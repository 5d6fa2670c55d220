#!/usr/bin/env bash
# Set-up, then the main job on the repository's example workspace: check the forms, import the
# sample responses into the embedded store (feedback.sqlite), count what was stored, and write
# the monthly report of April 2025 into reports/2025-04/.
# The samples hold a handful of invalid records on purpose: import exits 2 and writes them,
# with their reasons, to samples/*.rejects.csv. Running it again stores nothing twice.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build --product feedback
feedback=.build/debug/feedback

# Exit status 2 means "some records rejected, the rest stored": expected here.
accept_rejects() { "$@" || [ $? -eq 2 ]; }

$feedback forms validate
accept_rejects $feedback import samples/enterprise-service-2025.csv --form enterprise-service
accept_rejects $feedback import samples/window-evaluation-2025.jsonl --form window-evaluation
$feedback responses count --by month
$feedback report --month 2025-04
