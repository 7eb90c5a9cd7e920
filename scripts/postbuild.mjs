// After tsc: make the bin runnable (tsc does not keep the executable bit), and bake the commit
// this build was made from into dist/build-info.json for `virt-overhead --version`
// (lib/version.ts: the same git question it asks when run from a checkout without this file).
import { chmodSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
chmodSync(new URL('../dist/cli/main.js', import.meta.url), 0o755);
const root = fileURLToPath(new URL('..', import.meta.url));
const { gitCommit } = await import(new URL('../dist/lib/version.js', import.meta.url).href);
writeFileSync(new URL('../dist/build-info.json', import.meta.url), JSON.stringify({ commit: gitCommit(root) ?? 'unknown' }) + '\n');
