// The version of this build, from package.json (the agent reports it in Hello, the CLI in --version).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './root.js';

export const AGENT_VERSION: string = (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
