#!/usr/bin/env bash
# Installs what feedback needs beyond Swift on a Debian machine: libcurl's headers (the fetch
# command links libcurl), SQLite's headers and pkg-config. Does nothing where they are present.
set -euo pipefail

missing=()
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
if ! pkg-config --exists libcurl 2>/dev/null; then
  missing+=(libcurl4-openssl-dev)
fi
# SQLite's headers: GRDB's module and the store's C shim (Sources/CSQLiteTuning) include sqlite3.h.
if ! pkg-config --exists sqlite3 2>/dev/null && [ ! -f /usr/include/sqlite3.h ]; then
  missing+=(libsqlite3-dev)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "setup: need root (or sudo) to install ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >&2
$sudo apt-get install -y -qq "${missing[@]}" >&2
