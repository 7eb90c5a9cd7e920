// install-agent.sh --sysbench-deb: sysbench offline from a local .deb (or a folder of .debs:
// sysbench and the dependencies the guest lacks), for guests that reach no archive. The plan is
// checked with --dry-run into a fresh root (apt-get cannot install into a test root here; the
// command it would run is what is checked), and every bad value is refused before anything is
// written. The .debs are real packages made with dpkg-deb --build.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../lib/root.js';
import { agentFilesDir, freshRoot } from './support/install-root.js';

const INSTALLER = join(packageRoot(), 'deploy/install-agent.sh');
const dir = mkdtempSync(join(tmpdir(), 'vo-sysbench-deb-'));
let release: string;
let n = 0;

/** A real .deb named `name` (dpkg-deb --build of a one-file tree). */
function deb(name: string, out: string): string {
  const tree = join(dir, `tree-${++n}`);
  mkdirSync(join(tree, 'DEBIAN'), { recursive: true });
  mkdirSync(join(tree, 'usr/share/doc', name), { recursive: true });
  writeFileSync(join(tree, 'usr/share/doc', name, 'README'), `${name}\n`);
  writeFileSync(
    join(tree, 'DEBIAN/control'),
    `Package: ${name}\nVersion: 1.0.20-1\nArchitecture: all\nMaintainer: lab <lab@localhost>\nDescription: test package\n`,
  );
  mkdirSync(out, { recursive: true });
  const file = join(out, `${name}_1.0.20-1_all.deb`);
  const r = spawnSync('dpkg-deb', ['--build', '--root-owner-group', tree, file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`dpkg-deb --build: ${r.stderr}`);
  return file;
}

/** The installer on a fresh root, sysbench not in it; --dry-run unless `real`. */
function install(args: string[], o: { real?: boolean; cwd?: string } = {}) {
  const root = freshRoot(join(dir, `root-${++n}`));
  const r = spawnSync(
    'sh',
    [INSTALLER, ...(o.real ? [] : ['--dry-run']), '--root', root, '--no-enable', '--from', release, '--collector', '127.0.0.1:50051', ...args],
    { encoding: 'utf8', cwd: o.cwd },
  );
  return { ...r, root };
}
const listing = (root: string) => readdirSync(root, { recursive: true, encoding: 'utf8' }).sort();

beforeAll(() => {
  release = agentFilesDir('vo-sysbench-deb-rel-', { arches: ['none'] });
}, 240_000);
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  if (release) rmSync(release, { recursive: true, force: true });
});

describe('install-agent.sh --sysbench-deb', () => {
  it('one .deb: apt-get installs that file (offline), not sysbench from an archive', () => {
    const file = deb('sysbench', join(dir, 'one'));
    const r = install(['--sysbench-deb', file]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`would run: apt-get -y -q -o RootDir=${r.root} --no-install-recommends install ${file}\n`);
    expect(r.stdout).not.toMatch(/install sysbench$/m);
  });

  it('a folder: sysbench and its dependencies in one apt-get call; a relative path is made absolute', () => {
    const folder = join(dir, 'folder');
    const files = [deb('libluajit-5.1-2', folder), deb('sysbench', folder)].sort();
    const r = install(['--sysbench-deb', relative(dir, folder)], { cwd: dir });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`--no-install-recommends install ${files.join(' ')}\n`);
  });

  it('without the option the plan is the archive, as before', () => {
    const r = install([]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`would run: apt-get -y -q -o RootDir=${r.root} --no-install-recommends install sysbench\n`);
  });

  it('bad values are refused by name before anything is written', () => {
    const other = deb('libluajit-5.1-2', join(dir, 'other'));
    writeFileSync(join(dir, 'notes.txt'), 'x');
    mkdirSync(join(dir, 'empty'));
    const sys = deb('sysbench', join(dir, 'ok'));
    const cases: [string[], string][] = [
      [['--sysbench-deb', join(dir, 'missing.deb')], `--sysbench-deb ${join(dir, 'missing.deb')}: no such file or folder`],
      [['--sysbench-deb', join(dir, 'notes.txt')], 'not a .deb file'],
      [['--sysbench-deb', join(dir, 'empty')], 'the folder holds no .deb file'],
      [['--sysbench-deb', other], 'no package named sysbench in it'],
      [['--sysbench-deb', join(dir, 'other')], 'no package named sysbench in it'],
      [['--sysbench-deb', sys, '--skip-sysbench'], '--sysbench-deb and --skip-sysbench contradict each other'],
      [['--sysbench-deb'], 'option --sysbench-deb needs a value'],
    ];
    for (const [args, message] of cases) {
      // Not a dry run: a refusal must come before the first file is written.
      const r = install(args, { real: true });
      expect([r.status, r.stderr], args.join(' ')).toEqual([1, expect.stringContaining(message)]);
      expect(listing(r.root)).toEqual(listing(freshRoot(join(dir, `clean-${++n}`))));
    }
  });
});
