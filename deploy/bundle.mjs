// Builds what an operator copies to guests (run through deploy/bundle.sh; usage below):
//   virt-overhead-agent-<version>-linux-x86_64, ...-linux-aarch64   one file per architecture, Node.js
//       inside: a Node single executable application (SEA) made from the npm registry's
//       node-linux-<arch> binary (version and integrity pinned in deploy/agent-node.json) and the
//       esbuild bundle, injected with postject (the Node project's tool for it). Needs nothing on
//       the guest but glibc >= 2.28 and libstdc++ (in every Debian/Ubuntu/RHEL >= 8 base image).
//   virt-overhead-agent-<version>.mjs                                 the same program for guests that
//       have Node.js >= 20; started by an older Node it says which agent file to use instead.
//   virt-overhead-agent-<version>.sha256                              sha256sum -c lines for all of them.
// The program reads its wire contract (proto/virtoverhead.proto), package.json and, on x86_64, the
// CPUID/KVM helper from its package root at run time: each file carries them and writes them at
// start to a fresh private folder under the temporary directory (removed at exit), and points
// import.meta.url there. arm64 has no CPUID instruction and no helper: detection there decides
// from the other signals and tests /dev/kvm with Node's open(2) (agent/detect/README.md).
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const USAGE = `usage: deploy/bundle.sh [--out-dir DIR] [--arch x86_64,aarch64|none] [--version V]
       deploy/bundle.sh FILE.mjs          the .mjs alone, written to FILE.mjs
       deploy/bundle.sh --print-integrity  fetch the pinned Node.js packages and print their integrity
       deploy/bundle.sh --fetch-node V     fetch Node.js V for this machine (cached) and print its path (tests)`;
/** `uname -m` names (what a guest's shell and cloud-init see) and ELF e_machine values. */
export const ARCHES = { x86_64: { node: 'x64', elfMachine: 62 }, aarch64: { node: 'arm64', elfMachine: 183 } };
const NODE_PIN = JSON.parse(readFileSync(join(ROOT, 'deploy', 'agent-node.json'), 'utf8'));

function die(message) {
  process.stderr.write(`bundle.sh: ${message}\n`);
  process.exit(1);
}
const say = (message) => process.stderr.write(`bundle.sh: ${message}\n`);

function parseArgs(argv) {
  const o = { outDir: '.', arches: Object.keys(ARCHES), version: null, mjsOnly: null, printIntegrity: false, fetchNode: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => argv[++i] ?? die(`${a} needs a value\n${USAGE}`);
    if (a === '--out-dir') o.outDir = value();
    else if (a === '--arch') o.arches = value() === 'none' ? [] : argv[i].split(',');
    else if (a === '--version') o.version = value();
    else if (a === '--print-integrity') o.printIntegrity = true;
    else if (a === '--fetch-node') o.fetchNode = value();
    else if (a === '-h' || a === '--help') {
      process.stdout.write(USAGE + '\n');
      process.exit(0);
    } else if (!a.startsWith('-') && o.mjsOnly === null) o.mjsOnly = a;
    else die(`unknown argument '${a}'\n${USAGE}`);
  }
  for (const arch of o.arches) if (!ARCHES[arch]) die(`--arch ${arch}: agent files are built for ${Object.keys(ARCHES).join(', ')}`);
  return o;
}

/** What an older Node.js says when it starts the .mjs: the agent file that needs none. */
function tooOldNodeCheck(version) {
  const files = Object.entries(ARCHES).map(([m, a]) => [a.node, `virt-overhead-agent-${version}-linux-${m}`]);
  return [
    `if (Number(process.versions.node.split(".")[0]) < 20) {`,
    `  const __voFile = Object.fromEntries(${JSON.stringify(files)})[process.arch];`,
    `  process.stderr.write("virt-overhead: this single-file bundle needs Node.js 20 or newer, and " + process.execPath + " is Node.js " + process.versions.node + ".\\n" +`,
    `    (__voFile ? "Use the agent file for this machine instead: " + __voFile + " carries its own Node.js (install it with: sh install-agent.sh --from " + __voFile + " ...).\\n"`,
    `      : "No agent file is built for this architecture (" + process.arch + "): install Node.js 20 or newer.\\n"));`,
    `  process.exit(1);`,
    `}`,
  ].join('\n');
}

/**
 * Code that runs before the program: writes the files it reads from its package root into a
 * fresh private folder (mkdtemp: 0700, a new name each start, so nobody can plant a file there
 * first) and makes that the program's import.meta.url. `files`: [path under the root, an
 * expression giving its content (string, bytes or null: skip), mode].
 */
function rootSetup(files) {
  return [
    `const __voRoot = __voFs.mkdtempSync(__voPath.join(__voOs.tmpdir(), "virt-overhead-"));`,
    `process.on("exit", () => __voFs.rmSync(__voRoot, { recursive: true, force: true }));`,
    ...files.map(
      ([path, content, mode]) =>
        `{ const p = __voPath.join(__voRoot, ${JSON.stringify(path)}); const c = ${content}; if (c !== null) { __voFs.mkdirSync(__voPath.dirname(p), { recursive: true }); __voFs.writeFileSync(p, c, { mode: ${mode} }); } }`,
    ),
    `const __voMetaUrl = __voUrl.pathToFileURL(__voPath.join(__voRoot, "dist", "bundle.js")).href;`,
  ].join('\n');
}

function packageJson(version) {
  return JSON.stringify({ name: 'virt-overhead', version, type: 'module' });
}

/** The commit this build was made from (scripts/postbuild.mjs bakes it), for --version. */
function buildInfo() {
  const file = join(ROOT, 'dist', 'build-info.json');
  return existsSync(file) ? readFileSync(file, 'utf8') : JSON.stringify({ commit: 'unknown' });
}

/**
 * The .mjs: a prelude any Node.js can link (namespace imports of old built-ins only), then the
 * program as CommonJS inside a function. The program linked as ES modules would fail on an old
 * Node.js before its first line ran (Node 18: "node:zlib does not provide an export named
 * crc32"), and nothing could say which file to use instead.
 */
function mjsFile(version, program) {
  const proto = readFileSync(join(ROOT, 'proto', 'virtoverhead.proto'), 'utf8');
  return [
    `#!/usr/bin/env node`,
    `import { createRequire as __voCreateRequire } from "node:module";`,
    `import * as __voFs from "node:fs";`,
    `import * as __voOs from "node:os";`,
    `import * as __voPath from "node:path";`,
    `import * as __voUrl from "node:url";`,
    tooOldNodeCheck(version),
    rootSetup([
      ['package.json', JSON.stringify(packageJson(version)), '0o644'],
      ['proto/virtoverhead.proto', JSON.stringify(proto), '0o644'],
      ['dist/build-info.json', JSON.stringify(buildInfo()), '0o644'],
    ]),
    `const __voModule = { exports: {} };`,
    `(function (require, module, exports) {`,
    program,
    `}).call(__voModule.exports, __voCreateRequire(__voMetaUrl), __voModule, __voModule.exports);`,
    '',
  ].join('\n');
}

/** The SEA's main script: its files come from its assets (sea.getRawAsset); the helper only where one was built. */
function seaMain(program) {
  const asset = (name) => `(() => { try { return new Uint8Array(require("node:sea").getRawAsset(${JSON.stringify(name)})); } catch { return null; } })()`;
  return [
    `const __voFs = require("node:fs");`,
    `const __voOs = require("node:os");`,
    `const __voPath = require("node:path");`,
    `const __voUrl = require("node:url");`,
    rootSetup([
      ['package.json', asset('package.json'), '0o644'],
      ['proto/virtoverhead.proto', asset('proto/virtoverhead.proto'), '0o644'],
      ['dist/build-info.json', asset('build-info.json'), '0o644'],
      // Beside dist/bundle.js, where agent/detect/cpuid.ts looks first.
      ['dist/cpuid/cpuid', asset('cpuid'), '0o700'],
    ]),
    program,
    '',
  ].join('\n');
}

/** The whole program (the CLI and every dependency) as one CommonJS script; import.meta.url is __voMetaUrl. */
function bundleProgram(work) {
  const bin = join(ROOT, 'node_modules', '.bin', 'esbuild');
  if (!existsSync(bin)) die('esbuild is not installed: run npm ci');
  const out = join(work, 'program.cjs');
  const args = [join(ROOT, 'dist', 'cli', 'main.js'), '--bundle', '--platform=node', '--format=cjs', `--outfile=${out}`, '--log-level=error'];
  // Syntax an old Node.js parses, so that the .mjs's prelude gets to say what to use instead.
  args.push('--target=node18', '--define:import.meta.url=__voMetaUrl');
  execFileSync(bin, args, { stdio: 'inherit' });
  // cli/main.ts's #! line: valid only as a file's first line, and this goes inside others.
  return readFileSync(out, 'utf8').replace(/^#!.*\n/, '');
}

function sha(file, algorithm, encoding) {
  return createHash(algorithm).update(readFileSync(file)).digest(encoding);
}

/** The node-linux-<arch> tarball of `version`, fetched through npm (its cache, its registry) into `dir`. */
function npmPack(arch, dir, version = NODE_PIN.version) {
  const spec = `${NODE_PIN.packages[arch].name}@${version}`;
  const [packed] = JSON.parse(execFileSync('npm', ['pack', spec, '--json', '--pack-destination', dir, '--loglevel=error'], { encoding: 'utf8' }));
  const tgz = join(dir, packed.filename);
  return { tgz, integrity: `sha512-${sha(tgz, 'sha512', 'base64')}` };
}

/** The Node.js binary for `arch` (the pinned version unless told), fetched once through npm into .data/agent-node/. */
function nodeBinary(arch, version = NODE_PIN.version) {
  const pkg = NODE_PIN.packages[arch];
  const cached = join(ROOT, '.data', 'agent-node', version, arch, 'node');
  if (existsSync(cached)) return cached;
  const tmp = mkdtempSync(join(tmpdir(), 'vo-agent-node-'));
  try {
    say(`fetching ${pkg.name}@${version} through npm (once; cached in ${dirname(cached)})`);
    const { tgz, integrity } = npmPack(arch, tmp, version);
    // npm checked the registry's integrity; this checks the registry's answer against our pin
    // (other versions are for tests only: an old Node.js to start the .mjs with).
    if (version === NODE_PIN.version && integrity !== pkg.integrity)
      die(`${basename(tgz)}: integrity ${integrity} is not the one pinned in deploy/agent-node.json (${pkg.integrity})`);
    execFileSync('tar', ['-xzf', tgz, '-C', tmp, 'package/bin/node']);
    mkdirSync(dirname(cached), { recursive: true });
    renameSync(join(tmp, 'package', 'bin', 'node'), cached);
    return cached;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** ELF e_machine (offset 18, little-endian): 62 x86-64, 183 AArch64. */
export function elfMachine(file) {
  const head = readFileSync(file).subarray(0, 20);
  if (head.readUInt32BE(0) !== 0x7f454c46) return null;
  return head.readUInt16LE(18);
}

function hostArch() {
  const arch = Object.keys(ARCHES).find((m) => ARCHES[m].node === process.arch);
  if (!arch) die(`agent files are built on ${Object.keys(ARCHES).join(' or ')} machines, not ${process.arch}`);
  return arch;
}

/** postject's CLI in a child process: its ELF library prints dozens of harmless warnings, shown only when it fails. */
function inject(binary, blob) {
  const cli = join(ROOT, 'node_modules', 'postject', 'dist', 'cli.js');
  if (!existsSync(cli)) die('postject is not installed: run npm ci');
  const r = spawnSync(process.execPath, [cli, binary, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2'], {
    encoding: 'utf8',
  });
  if (r.status !== 0) die(`postject failed on ${binary}:\n${r.stdout}${r.stderr}`);
}

function buildAgentFiles(o, version, work, program) {
  const cjs = join(work, 'sea-main.cjs');
  writeFileSync(cjs, seaMain(program));
  writeFileSync(join(work, 'package.json'), packageJson(version));
  writeFileSync(join(work, 'build-info.json'), buildInfo());
  const helper = join(ROOT, 'dist', 'agent', 'detect', 'cpuid', 'cpuid');
  // The blob is made by the pinned Node.js itself (a blob belongs to one Node.js version), run on this machine.
  const maker = nodeBinary(hostArch());
  const files = [];
  for (const arch of o.arches) {
    const assets = {
      'package.json': join(work, 'package.json'),
      'build-info.json': join(work, 'build-info.json'),
      'proto/virtoverhead.proto': join(ROOT, 'proto', 'virtoverhead.proto'),
    };
    if (arch === 'x86_64') {
      if (!existsSync(helper) || elfMachine(helper) !== ARCHES.x86_64.elfMachine)
        die(`${helper} missing or not x86-64: run npm run build (it builds the helper with cc)`);
      assets.cpuid = helper;
    }
    const blob = join(work, `${arch}.blob`);
    const config = join(work, `${arch}.sea.json`);
    writeFileSync(config, JSON.stringify({ main: cjs, output: blob, disableExperimentalSEAWarning: true, useSnapshot: false, useCodeCache: false, assets }));
    execFileSync(maker, ['--experimental-sea-config', config], { stdio: 'pipe' });
    const out = join(o.outDir, `virt-overhead-agent-${version}-linux-${arch}`);
    const tmpOut = `${out}.tmp`;
    copyFileSync(nodeBinary(arch), tmpOut);
    chmodSync(tmpOut, 0o755);
    inject(tmpOut, blob);
    if (elfMachine(tmpOut) !== ARCHES[arch].elfMachine) die(`${out}: not an ELF file for ${arch}`);
    if (arch === hostArch()) {
      const said = execFileSync(tmpOut, ['--version'], { encoding: 'utf8' }).trim();
      const want = `virt-overhead ${version} (commit ${JSON.parse(buildInfo()).commit})`;
      if (said !== want) die(`${out} --version said '${said}', not '${want}'`);
    }
    renameSync(tmpOut, out);
    say(`wrote ${out} (${readFileSync(out).length} bytes, ${arch}, Node.js ${NODE_PIN.version} inside)`);
    files.push(out);
  }
  return files;
}

function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.printIntegrity) {
    const tmp = mkdtempSync(join(tmpdir(), 'vo-agent-node-'));
    try {
      for (const arch of Object.keys(ARCHES)) process.stdout.write(`${arch}: ${npmPack(arch, tmp).integrity}\n`);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    return;
  }
  if (o.fetchNode) {
    process.stdout.write(nodeBinary(hostArch(), o.fetchNode) + '\n');
    return;
  }
  if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) die('dist/cli/main.js missing: run npm run build');
  const version = o.version ?? JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
  const work = mkdtempSync(join(tmpdir(), 'vo-bundle-'));
  try {
    const mjs = o.mjsOnly ?? join(o.outDir, `virt-overhead-agent-${version}.mjs`);
    mkdirSync(dirname(resolve(mjs)), { recursive: true });
    const program = bundleProgram(work);
    writeFileSync(mjs, mjsFile(version, program), { mode: 0o755 });
    execFileSync(process.execPath, [mjs, '--help'], { stdio: 'ignore' });
    say(`wrote ${mjs} (${readFileSync(mjs).length} bytes); it runs 'virt-overhead --help'`);
    if (o.mjsOnly) return;
    const files = [mjs, ...buildAgentFiles(o, version, work, program)];
    const sums = join(o.outDir, `virt-overhead-agent-${version}.sha256`);
    writeFileSync(sums, files.map((f) => `${sha(f, 'sha256', 'hex')}  ${basename(f)}\n`).join(''));
    say(`wrote ${sums}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
