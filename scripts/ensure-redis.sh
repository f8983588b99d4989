#!/usr/bin/env bash
# The Redis tests spawn their own redis-server processes on free ports; this makes sure the
# binaries exist. Installs Debian's redis-server when missing (as root, or with sudo).
set -euo pipefail
if command -v redis-server >/dev/null && command -v redis-cli >/dev/null; then exit 0; fi
echo "redis-server not found: installing it with apt-get (the tests need the binary, not a running server)"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "error: install redis-server (e.g. apt-get install redis-server) and run again" >&2; exit 1; }
  SUDO="sudo"
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq redis-server redis-tools >/dev/null
redis-server --version
