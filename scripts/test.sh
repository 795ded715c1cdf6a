#!/usr/bin/env bash
# `npm test`: installs what is missing, then runs every test layer that exists:
# lint + type check, unit (Node), engine (pytest), integration inside a real VS Code (code-server).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-node-deps.sh
echo "» build"; node esbuild.mjs >/dev/null
echo "» engine environment"; node dist/cli.js setup --dev --quiet
echo "» lint and type check"; npx eslint . && node scripts/run-venv.mjs ruff check engine bench && npm run -s typecheck
echo "» unit tests"; node scripts/test-unit.mjs
echo "» engine tests"; node scripts/run-venv.mjs python -m pytest -q engine -p no:cacheprovider
echo "» integration tests in code-server (suite, harness self-check, .vsix smoke)"; node scripts/test-integration.mjs --no-build
