#!/usr/bin/env bash
# The test command: install what is missing (runtime and test tools), type-check, lint, build, test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh --test
npm run typecheck
npm run lint
npm run build
mkdir -p test/artifacts
status=0
npx vitest run --reporter=default --reporter=json --outputFile.json=test/artifacts/vitest.json "$@" || status=$?
# One plain closing line for any reader of the log: "N passed, N failed".
node -e 'const r = JSON.parse(require("fs").readFileSync("test/artifacts/vitest.json", "utf8")); console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (r.numPendingTests ? `, ${r.numPendingTests} skipped` : ""))' || true
exit "$status"
