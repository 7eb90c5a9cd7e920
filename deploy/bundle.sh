#!/bin/sh
# Builds what an operator copies to guests: one agent file per architecture (Node.js inside),
# the single-file .mjs for guests with Node.js >= 20, and their sha256 sums. deploy/bundle.mjs
# does the work and says how (deploy/bundle.sh --help).
#   deploy/bundle.sh [--out-dir DIR] [--arch x86_64,aarch64|none] [--version V]
#   deploy/bundle.sh FILE.mjs          the .mjs alone
# Install the result with: deploy/install-agent.sh --from virt-overhead-agent-<version>-linux-$(uname -m) ...
set -eu
cd "$(dirname "$0")/.."
exec node deploy/bundle.mjs "$@"
