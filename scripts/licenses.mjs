// The licenses of every npm package virt-overhead ships (its dependencies, bundled into the
// package and the single-file agent) checked against the ones an MIT-licensed program may carry
// (permissive: their notices travel in node_modules/). Dev dependencies are listed, not shipped.
//   node scripts/licenses.mjs [--json]     exit 1 if a shipped package has another license
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Permissive licenses compatible with distributing them inside an MIT-licensed package. */
const ALLOWED = ['MIT', 'ISC', 'BSD-2-Clause', 'BSD-3-Clause', 'Apache-2.0', '0BSD', 'BlueOak-1.0.0', 'CC0-1.0', 'Unlicense'];

function packages(omitDev) {
  const args = ['ls', '--all', '--parseable', ...(omitDev ? ['--omit=dev'] : [])];
  // npm ls exits 1 on extraneous or missing packages: the paths it printed are still the tree.
  let out;
  try {
    out = execFileSync('npm', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch (err) {
    out = err.stdout ?? '';
  }
  return out
    .split('\n')
    .filter((p) => p && p !== ROOT.replace(/\/$/, ''))
    .map((dir) => {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      const raw = pkg.license ?? pkg.licenses;
      const license = typeof raw === 'string' ? raw : Array.isArray(raw) ? raw.map((l) => l.type ?? l).join(' OR ') : (raw?.type ?? 'UNKNOWN');
      return { name: pkg.name, version: pkg.version, license };
    });
}

/** An SPDX expression is allowed when one side of every OR has only allowed licenses. */
function allowed(expression) {
  return expression
    .replace(/[()]/g, '')
    .split(/\s+OR\s+/)
    .some((alt) => alt.split(/\s+AND\s+/).every((l) => ALLOWED.includes(l.trim())));
}

const shipped = packages(true);
const shippedNames = new Set(shipped.map((p) => `${p.name}@${p.version}`));
const dev = packages(false).filter((p) => !shippedNames.has(`${p.name}@${p.version}`));
const refused = shipped.filter((p) => !allowed(p.license));
const count = (ps) => Object.entries(ps.reduce((m, p) => ({ ...m, [p.license]: (m[p.license] ?? 0) + 1 }), {})).sort((a, b) => b[1] - a[1]);

if (process.argv.includes('--json')) {
  process.stdout.write(JSON.stringify({ shipped, dev, refused }, null, 2) + '\n');
} else {
  process.stdout.write(
    `shipped (dependencies, ${shipped.length} packages): ${count(shipped)
      .map(([l, n]) => `${l} ${n}`)
      .join(', ')}\n`,
  );
  process.stdout.write(
    `dev only (${dev.length} packages, not shipped): ${count(dev)
      .map(([l, n]) => `${l} ${n}`)
      .join(', ')}\n`,
  );
  for (const p of refused) process.stdout.write(`NOT ALLOWED in an MIT package: ${p.name}@${p.version} (${p.license})\n`);
  process.stdout.write(
    refused.length ? `${refused.length} shipped packages need a decision\n` : `every shipped package's license allows distribution under MIT\n`,
  );
}
process.exitCode = refused.length ? 1 : 0;
