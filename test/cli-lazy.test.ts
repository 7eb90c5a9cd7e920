// Commands load only what they use (cli/commands.ts): `parse` and `detect` start without gRPC
// or InfluxDB, and `report`, which reads through the store, without the `influx` npm package
// (issue 26: 0.05–0.6 s of every report's start, depending on the load). A module-resolve hook
// in the real CLI process lists what was loaded.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { MAIN } from './support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'vo-lazy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const hook = join(dir, 'hook.mjs');
writeFileSync(hook, `export async function resolve(s, c, next) { const r = await next(s, c); process.stderr.write('LOADED ' + r.url + '\\n'); return r; }\n`);
const register = join(dir, 'register.mjs');
writeFileSync(register, `import { register } from 'node:module'; register(${JSON.stringify(pathToFileURL(hook).href)});\n`);

/** Every module URL the command resolved, and its exit status. */
function loaded(args: string[]): { urls: string[]; status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(register).href, MAIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  const urls = r.stderr
    .split('\n')
    .filter((l) => l.startsWith('LOADED '))
    .map((l) => l.slice('LOADED '.length));
  return { urls, status: r.status, stderr: r.stderr };
}

describe('commands load only what they use', () => {
  it('report reads InfluxDB without the influx package', () => {
    // Port 9 on loopback: nothing answers, so the command fails after loading everything it needs.
    const r = loaded(['report', '--influx', 'http://127.0.0.1:9', '--database', 'lazy']);
    expect(r.stderr).toMatch(/cannot read results from http:\/\/127\.0\.0\.1:9/);
    expect(r.urls.some((u) => u.includes('/collector/report/'))).toBe(true); // the hook saw the report load
    expect(r.urls.filter((u) => u.includes('/node_modules/influx/') || u.endsWith('/collector/influx/client.js'))).toEqual([]);
    // Nor undici (~180 ms): its few queries go through node:http (collector/influx/node-query.ts).
    expect(r.urls.filter((u) => u.includes('/node_modules/undici/'))).toEqual([]);
  });

  it('a plain report loads neither the change detector, the HTML page nor csv-stringify', () => {
    // ~15 modules (collector/changes/index.ts, detect.ts, lib/changepoint/, collector/report/page.ts)
    // that only --changes --recompute, a stored-verdict gap and --html run: loaded where used.
    const r = loaded(['report', '--influx', 'http://127.0.0.1:9', '--database', 'lazy', '--format', 'json']);
    expect(r.urls.some((u) => u.endsWith('/collector/changes/report.js'))).toBe(true); // the hook saw the change section's reader
    const unused = /\/collector\/changes\/(index|detect)\.js$|\/lib\/changepoint\/|\/collector\/report\/page\.js$|\/node_modules\/csv-stringify\//;
    expect(r.urls.filter((u) => unused.test(u))).toEqual([]);
  });

  it('report and the usage start without zod or yaml (only config, profile and token files need them)', () => {
    // zod ~110 ms and yaml ~80–95 ms of every start (issue 26). yaml is a literal import() in
    // lib/file-input.ts, made when a YAML file is read (the agent file's bundle follows it).
    for (const args of [['report', '--influx', 'http://127.0.0.1:9', '--database', 'lazy'], ['--help'], ['report', '--help']]) {
      const r = loaded(args);
      expect(r.urls.some((u) => u.includes('/lib/secret-file.js'))).toBe(true); // the hook saw main's imports
      expect(r.urls.filter((u) => /\/node_modules\/(zod|yaml)\//.test(u))).toEqual([]);
    }
  });

  it('a YAML config file loads yaml, and its options apply', () => {
    const config = join(dir, 'report.yaml');
    writeFileSync(config, 'influx: http://127.0.0.1:9\ndatabase: lazy\n');
    const r = loaded(['report', '--config', config]);
    expect(r.stderr).toMatch(/cannot read results from http:\/\/127\.0\.0\.1:9/);
    expect(r.urls.some((u) => /\/node_modules\/yaml\//.test(u))).toBe(true);
  });

  it('parse and detect start without gRPC or InfluxDB', () => {
    for (const args of [
      ['parse', '--help'],
      ['detect', '--help'],
    ]) {
      const r = loaded(args);
      expect(r.status).toBe(0);
      expect(r.urls.some((u) => u.includes('/cli/commands/'))).toBe(true);
      expect(r.urls.filter((u) => /\/node_modules\/(@grpc|influx|undici)\//.test(u))).toEqual([]);
    }
  });
});
