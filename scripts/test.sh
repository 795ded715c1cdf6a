#!/usr/bin/env bash
# `npm test`: installs what is missing, then runs every test layer that exists, in order:
# lint + type check, unit (Node), webview (Chromium), engine (pytest), integration inside a real
# VS Code (code-server), end-to-end (a real run trained, watched and stopped in code-server).
# Every layer runs even after an earlier one failed; the exit status is non-zero if any failed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-node-deps.sh
echo "» build"; node esbuild.mjs >/dev/null
echo "» engine environment"; node dist/cli.js setup --dev --quiet

failed=()
layer() {
  local name=$1; shift
  echo "» $name"
  # `if` keeps set -e from ending the script, so the remaining layers still run.
  if ! "$@"; then failed+=("$name"); fi
}
lint() { npx eslint . && node scripts/run-venv.mjs ruff check engine bench && node scripts/run-venv.mjs python bench/perf_table.py --check README.md && npm run -s typecheck; }

layer "lint and type check" lint
layer "unit tests" node scripts/test-unit.mjs
layer "webview tests in Chromium" bash -c "bash scripts/ensure-chromium.sh >/dev/null && node scripts/test-unit.mjs test/webview/dashboard.test.ts test/webview/try.test.ts"
layer "engine tests" node scripts/run-venv.mjs python -m pytest -q engine -p no:cacheprovider
layer "integration tests in code-server (suite, harness self-check, .vsix smoke)" \
  node scripts/test-integration.mjs --no-build
layer "end-to-end in code-server" node test/e2e/train-dashboard.mjs --no-build

if ((${#failed[@]})); then
  echo "npm test FAILED in:"; printf '  - %s\n' "${failed[@]}"
  exit 1
fi
echo "npm test: all layers passed"
