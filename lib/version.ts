// The version of this build: package.json's version (the agent reports it in Hello) and the
// commit it was built from (`virt-overhead --version`). The build bakes the commit into
// dist/build-info.json (scripts/postbuild.mjs); run from a checkout without one, git is asked;
// elsewhere (a bundle, a tarball without it) the commit is "unknown".
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './root.js';

export const AGENT_VERSION: string = (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;

/** Where the build writes the commit, relative to the package root. */
export const BUILD_INFO = join('dist', 'build-info.json');

function bakedCommit(root: string): string | undefined {
  try {
    const info = JSON.parse(readFileSync(join(root, BUILD_INFO), 'utf8')) as { commit?: unknown };
    return typeof info.commit === 'string' && info.commit !== '' ? info.commit : undefined;
  } catch {
    return undefined;
  }
}

/** The checkout's HEAD (short), "-dirty" when tracked files differ from it; undefined outside a checkout. */
export function gitCommit(root: string): string | undefined {
  if (!existsSync(join(root, '.git'))) return undefined;
  try {
    const git = (...args: string[]) =>
      execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
    const head = git('rev-parse', '--short=12', 'HEAD');
    return git('status', '--porcelain', '--untracked-files=no') === '' ? head : `${head}-dirty`;
  } catch {
    return undefined;
  }
}

export function buildCommit(root: string = packageRoot()): string {
  return bakedCommit(root) ?? gitCommit(root) ?? 'unknown';
}

/** What --version prints: `virt-overhead 0.1.0 (commit 5865a41c0d3e)`. */
export function versionLine(root: string = packageRoot()): string {
  return `virt-overhead ${AGENT_VERSION} (commit ${buildCommit(root)})`;
}
