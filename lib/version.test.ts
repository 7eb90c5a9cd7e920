// --version's commit: baked by the build, else asked of git in a checkout, else "unknown".
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AGENT_VERSION, BUILD_INFO, buildCommit, gitCommit, versionLine } from './version.js';
import { tempDir } from '../test/support/temp-dir.js';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], { cwd, encoding: 'utf8' }).trim();

describe('the commit --version prints', () => {
  const dir = tempDir('vo-version-');

  it('outside a checkout and without build info it is unknown', () => {
    const bare = join(dir, 'bare');
    mkdirSync(bare);
    expect(gitCommit(bare)).toBeUndefined();
    expect(buildCommit(bare)).toBe('unknown');
    expect(versionLine(bare)).toBe(`virt-overhead ${AGENT_VERSION} (commit unknown)`);
  });

  it("in a checkout it is HEAD's short hash, with -dirty while tracked files differ", () => {
    const repo = join(dir, 'repo');
    mkdirSync(repo);
    git(repo, 'init', '-q');
    writeFileSync(join(repo, 'f'), 'one\n');
    git(repo, 'add', 'f');
    git(repo, 'commit', '-q', '-m', 'one');
    const head = git(repo, 'rev-parse', 'HEAD');
    expect(gitCommit(repo)).toBe(head.slice(0, 12));
    writeFileSync(join(repo, 'f'), 'two\n');
    expect(gitCommit(repo)).toBe(`${head.slice(0, 12)}-dirty`);
    // What the build baked wins over the checkout's state now.
    mkdirSync(join(repo, 'dist'));
    writeFileSync(join(repo, BUILD_INFO), JSON.stringify({ commit: 'abcdef123456' }));
    expect(buildCommit(repo)).toBe('abcdef123456');
  });
});
