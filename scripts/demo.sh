#!/usr/bin/env bash
# `npm run demo`: sets up what is missing, then runs the main job on the built-in default.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-node-deps.sh
node esbuild.mjs >/dev/null
node dist/cli.js setup --quiet
echo "The built-in demo (training the tiny model on CPU) is not implemented yet: set-up finished, nothing was trained."
