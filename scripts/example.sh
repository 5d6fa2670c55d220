#!/usr/bin/env bash
# Set-up, then the main job on the repository's example workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build --product feedback
feedback=.build/debug/feedback

$feedback forms validate
$feedback forms list
