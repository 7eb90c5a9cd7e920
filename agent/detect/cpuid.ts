// CPUID readings: parse the helper's text (live or recorded in a fixture) and decode signatures.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { RootFs } from './root-fs.js';

export interface CpuidLeaf {
  leaf: number;
  eax: number;
  ebx: number;
  ecx: number;
  edx: number;
}

export interface CpuidReading {
  /** CPUID.1:ECX[31]; hypervisor leaves only mean something when it is set. */
  hypervisorBit: boolean;
  leaves: CpuidLeaf[];
  /** Lines starting with `kvm ` when the helper also probed /dev/kvm. */
  kvmProbeLines: string[];
  source: string;
}

/** Returns a reading, or a sentence saying why there is none. */
export type CpuidReader = (root: RootFs, opts: { kvmProbe: boolean }) => Promise<CpuidReading | { missing: string }>;

export class CpuidFormatError extends Error {
  override name = 'CpuidFormatError';
}

/** Parses `hypervisor_bit N`, `leaf 0xL A B C D` and `kvm ...` lines; anything else is an error. */
export function parseCpuidText(text: string, source: string): CpuidReading {
  let hypervisorBit: boolean | null = null;
  const leaves: CpuidLeaf[] = [];
  const kvmProbeLines: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const where = `${source} line ${i + 1}`;
    if (line.startsWith('kvm ')) {
      kvmProbeLines.push(line);
      return;
    }
    let m = /^hypervisor_bit ([01])$/.exec(line);
    if (m) {
      hypervisorBit = m[1] === '1';
      return;
    }
    m = /^leaf 0x([0-9a-f]{8}) ([0-9a-f]{8}) ([0-9a-f]{8}) ([0-9a-f]{8}) ([0-9a-f]{8})$/i.exec(line);
    if (m) {
      const [leaf, eax, ebx, ecx, edx] = m.slice(1).map((h) => parseInt(h, 16)) as [number, number, number, number, number];
      leaves.push({ leaf, eax, ebx, ecx, edx });
      return;
    }
    throw new CpuidFormatError(`${where}: cannot read '${line}' (expected 'hypervisor_bit 0|1', 'leaf 0x40000000 EAX EBX ECX EDX' in hex, or 'kvm ...')`);
  });
  if (hypervisorBit === null) throw new CpuidFormatError(`${source}: no 'hypervisor_bit' line`);
  return { hypervisorBit, leaves, kvmProbeLines, source };
}

function register(n: number): string {
  return String.fromCharCode(n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff);
}

/** The 12-byte vendor signature in EBX, ECX, EDX; null when it is not printable text
 * (bare metal returns the highest basic leaf for these numbers: binary noise). */
export function signatureOf(l: CpuidLeaf): string | null {
  const raw = register(l.ebx) + register(l.ecx) + register(l.edx);
  const text = raw.replace(/\0+$/, '');
  if (text.length < 3 || !/^[\x20-\x7e]+$/.test(text)) return null;
  return text;
}

/** Signatures in leaf order, each once, only when the hypervisor bit is set. */
export function signaturesOf(reading: CpuidReading): { leaf: number; signature: string }[] {
  if (!reading.hypervisorBit) return [];
  const out: { leaf: number; signature: string }[] = [];
  for (const l of [...reading.leaves].sort((a, b) => a.leaf - b.leaf)) {
    const signature = signatureOf(l);
    if (signature && !out.some((o) => o.signature === signature)) out.push({ leaf: l.leaf, signature });
  }
  return out;
}

export function hex(leaf: number): string {
  return '0x' + leaf.toString(16).padStart(8, '0');
}

/** Where the built helper lives: beside the compiled module (dist/agent/detect/cpuid/cpuid),
 * or, when running from sources, in dist/ of the same checkout. */
export function helperCandidates(): string[] {
  return [fileURLToPath(new URL('./cpuid/cpuid', import.meta.url)), fileURLToPath(new URL('../../dist/agent/detect/cpuid/cpuid', import.meta.url))];
}

export function findHelper(explicit?: string): string | null {
  if (explicit) return existsSync(explicit) ? explicit : null;
  return helperCandidates().find((p) => existsSync(p)) ?? null;
}

function run(file: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 5000, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${file} ${args.join(' ')}: ${err.message}${stderr ? ' — ' + stderr.trim() : ''}`));
      else resolve(stdout);
    });
  });
}

/** Live machine: run the helper. Fixture root: read `<root>/cpuid.txt` (the helper's output, recorded). */
export function defaultCpuidReader(helperPath?: string): CpuidReader {
  return async (root, { kvmProbe }) => {
    if (!root.isLive) {
      const text = root.read('cpuid.txt');
      if (text == null) return { missing: `no recorded CPUID reading (${root.path('cpuid.txt')})` };
      return parseCpuidText(text, root.path('cpuid.txt'));
    }
    // CPUID is an x86 instruction: elsewhere (the aarch64 agent file) there is no helper to run.
    if (process.arch !== 'x64' && process.arch !== 'ia32') return { missing: `no CPUID on ${process.arch} (an x86 instruction)` };
    const helper = findHelper(helperPath);
    if (!helper) return { missing: `CPUID helper not built (looked in ${helperPath ?? helperCandidates().join(', ')}; run agent/detect/cpuid/build.sh)` };
    try {
      const out = await run(helper, kvmProbe ? ['--kvm-probe', root.path('dev/kvm')] : []);
      return parseCpuidText(out, helper);
    } catch (err) {
      return { missing: `CPUID helper failed: ${(err as Error).message}` };
    }
  };
}
