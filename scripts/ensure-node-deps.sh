#!/usr/bin/env bash
# Installs node_modules when missing or older than package-lock.json. Quiet when up to date.
set -euo pipefail
cd "$(dirname "$0")/.."
# A linked node_modules is shared (a git worktree's link to the main checkout's): `npm ci` through
# the link would empty the shared folder and replace the link, so leave it to its owner.
if [[ -L node_modules ]]; then exit 0; fi
if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "» installing Node packages" >&2
  npm ci --no-audit --no-fund >&2
fi
