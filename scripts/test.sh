#!/usr/bin/env bash
# The test command: install what is missing (runtime and test tools), type-check, build, test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh --test
npm run typecheck
npm run build
npx vitest run "$@"
