// tsc does not keep the executable bit: make the bin runnable after every build.
import { chmodSync } from 'node:fs';
chmodSync(new URL('../dist/cli/main.js', import.meta.url), 0o755);
