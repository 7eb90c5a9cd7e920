// What a release carries: the man pages are what the option declarations render today and
// man(1) reads them; the npm package holds the docs, sample configs, man pages, LICENSE and
// CHANGELOG; every shipped dependency's license allows distribution under MIT.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../cli/commands.js';
import { renderManPages } from '../cli/man.js';
import { packageRoot } from '../lib/root.js';

const ROOT = packageRoot();

describe('man pages', () => {
  it('are up to date with the option declarations (npm run man)', async () => {
    const pages = await renderManPages();
    expect([...pages.keys()].sort()).toEqual(
      readdirSync(join(ROOT, 'man'))
        .map((f) => join('man', f))
        .sort(),
    );
    // package.json's "man" links every page into the man path on npm install -g.
    const declared = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { man: string[] }).man.map((f) => f.replace(/^\.\//, ''));
    expect(declared.sort()).toEqual([...pages.keys()].sort());
    for (const [rel, text] of pages) expect(readFileSync(join(ROOT, rel), 'utf8'), `${rel} is stale: run npm run man`).toBe(text);
  });

  it.each(['virt-overhead', ...Object.keys(COMMANDS).map((c) => `virt-overhead-${c}`)])('man -l renders %s.1 without warnings', async (page) => {
    const file = join(ROOT, 'man', `${page}.1`);
    const r = spawnSync('man', ['-l', file], { encoding: 'utf8', env: { ...process.env, MANWIDTH: '100', MAN_KEEP_FORMATTING: '', PAGER: 'cat' } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^${page.toUpperCase()}\\(1\\)`));
    const warnings = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-z', file], { encoding: 'utf8' });
    expect(warnings.stderr, page).toBe('');
    if (page === 'virt-overhead') return;
    // Every option of the command is on its page, in the same words as --help, and the exit codes.
    const { COMMAND } = await COMMANDS[page.replace('virt-overhead-', '')]!.load();
    const text = r.stdout.replace(/‐\n\s*/g, '').replace(/\s+/g, ' ');
    for (const o of COMMAND.options) expect(text, `${page}: --${o.name}`).toContain(`--${o.name}`);
    expect(text).toContain('EXIT STATUS');
    for (const e of COMMAND.exitCodes) expect(text).toMatch(new RegExp(`\\b${e.code} ${e.meaning.split(' ')[0]}`));
  });
});

describe('the npm package', () => {
  it('holds the sample configs, READMEs, man pages, LICENSE and CHANGELOG (npm pack --dry-run)', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    const files = new Set((JSON.parse(out) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path));
    const wanted = [
      'LICENSE',
      'CHANGELOG.md',
      'README.md',
      'agent/agent.sample.yaml',
      'collector/collector.sample.yaml',
      'agent/README.md',
      'collector/README.md',
      'grafana/README.md',
      'lab/README.md',
      'deploy/README.md',
      'man/virt-overhead.1',
      ...Object.keys(COMMANDS).map((c) => `man/virt-overhead-${c}.1`),
      'docs/install.md',
    ];
    for (const f of wanted) expect(files.has(f), f).toBe(true);
    // Every capability README the top README links to travels with it.
    for (const m of readFileSync(join(ROOT, 'README.md'), 'utf8').matchAll(/\]\(([\w/]+\/README\.md)\)/g)) expect(files.has(m[1]!), m[1]).toBe(true);
  });

  it("every shipped dependency's license allows distribution under MIT (scripts/licenses.mjs)", () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'licenses.mjs'), '--json'], { encoding: 'utf8' });
    const { shipped, refused } = JSON.parse(r.stdout) as { shipped: Array<{ name: string; license: string }>; refused: unknown[] };
    expect(refused).toEqual([]);
    expect(r.status).toBe(0);
    // The direct dependencies are among the shipped packages, with the license their own package.json states.
    const deps = Object.keys((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies);
    for (const d of deps) {
      const own = (JSON.parse(readFileSync(join(ROOT, 'node_modules', d, 'package.json'), 'utf8')) as { license: string }).license;
      expect(shipped.find((p) => p.name === d)?.license, d).toBe(own);
    }
  });
});
