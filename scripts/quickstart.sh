#!/usr/bin/env bash
# The main job: install what is missing, then local InfluxDB + collector + the native baseline
# and a TCG guest through the lab (QEMU installed when it can be), then the results and overhead tables.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh --lab
exec node dist/cli/main.js quickstart "$@"
