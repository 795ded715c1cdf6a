#!/usr/bin/env bash
# `npm run demo`: sets up what is missing, then runs 1-shot RLVR on the built-in default on CPU:
# the tiny model (examples/models/tiny-math) trains on one equations problem
# (examples/equations.rlvr.md) with the cpu-demo preset, and is evaluated on the held-out
# synthetic benchmark before, during and after. Prints the before/after table per sub-skill and
# the run directory (open it in VS Code's Runs view). Extra arguments go to `oneshot train`,
# e.g. `npm run demo -- --set seed=1`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-node-deps.sh
node esbuild.mjs >/dev/null
node dist/cli.js setup --quiet
run_dir=".oneshot/runs/demo-$(date +%Y%m%d-%H%M%S)"
echo "» 1-shot RLVR on examples/equations.rlvr.md with the cpu-demo preset (a few minutes on 2 CPU cores)"
node dist/cli.js train examples/equations.rlvr.md --preset cpu-demo --run-dir "$run_dir" "$@"
