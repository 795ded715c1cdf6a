#!/usr/bin/env bash
# Installs node_modules when missing or older than package-lock.json. Quiet when up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "» installing Node packages" >&2
  npm ci --no-audit --no-fund >&2
fi
