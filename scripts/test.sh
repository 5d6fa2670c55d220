#!/usr/bin/env bash
# Set-up, then every test: unit tests and end-to-end runs of the built binary.
# Tests that read ../shared/real-world skip with a message where it is absent.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build --build-tests
swift test --skip-build "$@"
