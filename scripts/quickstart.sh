#!/usr/bin/env bash
# The main job: install what is missing, then local InfluxDB + collector + the native baseline
# (+ a TCG guest through the lab when QEMU is available), and the results table.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec node dist/cli/main.js quickstart "$@"
