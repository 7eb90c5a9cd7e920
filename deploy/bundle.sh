#!/bin/sh
# Builds the single-file agent for guests that cannot run `npm install`:
#   deploy/bundle.sh [OUT]        (default OUT: virt-overhead-agent-<version>.mjs)
# One .mjs holding the CLI and every dependency; it needs only Node.js >= 20 on the guest.
# Install it with: deploy/install-agent.sh --from virt-overhead-agent-<version>.mjs ...
#
# Needs esbuild (the well-kept bundler), a dev dependency: `npm ci` installs it.
# The wire contract (proto/virtoverhead.proto) and package.json are read at run time from the
# package root; the bundle carries both and writes them once to a private folder under the
# temporary directory (PrivateTmp in the systemd unit), and points import.meta.url there.
set -eu
cd "$(dirname "$0")/.."
ESBUILD=node_modules/.bin/esbuild
[ -x "$ESBUILD" ] || { echo "bundle.sh: esbuild is not installed; run: npm ci" >&2; exit 1; }
[ -f dist/cli/main.js ] || { echo "bundle.sh: dist/cli/main.js missing; run: npm run build" >&2; exit 1; }
VERSION=$(node -p 'require("./package.json").version')
OUT=${1:-virt-overhead-agent-$VERSION.mjs}
BANNER=$(node -e '
const fs = require("fs");
const pkg = JSON.stringify({ name: "virt-overhead", version: process.argv[1], type: "module" });
const proto = fs.readFileSync("proto/virtoverhead.proto", "utf8");
process.stdout.write([
  "import { createRequire as __voCreateRequire } from \"node:module\";",
  "import { mkdirSync as __voMkdir, writeFileSync as __voWrite, existsSync as __voExists } from \"node:fs\";",
  "import { tmpdir as __voTmp } from \"node:os\";",
  "import { join as __voJoin } from \"node:path\";",
  "import { pathToFileURL as __voUrl } from \"node:url\";",
  // CommonJS dependencies call require(); an ES module has none of its own.
  "const require = __voCreateRequire(import.meta.url);",
  "const __voRoot = __voJoin(__voTmp(), \"virt-overhead-\" + " + JSON.stringify(process.argv[1]) + " + \"-\" + process.getuid());",
  "if (!__voExists(__voJoin(__voRoot, \"proto\", \"virtoverhead.proto\"))) {",
  "  __voMkdir(__voJoin(__voRoot, \"proto\"), { recursive: true, mode: 0o700 });",
  "  __voWrite(__voJoin(__voRoot, \"package.json\"), " + JSON.stringify(pkg) + ");",
  "  __voWrite(__voJoin(__voRoot, \"proto\", \"virtoverhead.proto\"), " + JSON.stringify(proto) + ");",
  "}",
  "const __voMetaUrl = __voUrl(__voJoin(__voRoot, \"dist\", \"bundle.mjs\")).href;",
].join("\n"));
' "$VERSION")
"$ESBUILD" dist/cli/main.js --bundle --platform=node --target=node20 --format=esm \
  --define:import.meta.url=__voMetaUrl --banner:js="$BANNER" --outfile="$OUT" --log-level=warning
node "$OUT" --help >/dev/null
echo "bundle.sh: wrote $OUT ($(wc -c <"$OUT") bytes); it runs 'virt-overhead --help'"
