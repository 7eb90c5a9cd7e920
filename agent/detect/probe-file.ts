// The lab's probe-boot answer, {"ranGuest": true|false, "detail": "..."}: read by the agent's
// --kvm-probe and by detection from a captured tree's kvm-guest-probe.json. One shape, checked once.
import { z } from 'zod';
import { checkShape, readDataFile } from '../../lib/file-input.js';
import type { KvmProbeResult } from './kvm.js';

const EXPECTED = 'expected {"ranGuest": true|false, "detail": "..."}';

const KVM_PROBE_FILE: z.ZodType<KvmProbeResult> = z.object(
  { ranGuest: z.boolean({ error: EXPECTED }), detail: z.string({ error: EXPECTED }) },
  { error: EXPECTED },
);

/** A probe result already read as JSON; `where` names its file in errors. */
export function checkKvmProbe(raw: unknown, where: string): KvmProbeResult {
  const { ranGuest, detail } = checkShape(KVM_PROBE_FILE, raw, where);
  return { ranGuest, detail };
}

/** The --kvm-probe file: only a guest that really ran may make KVM "usable". */
export async function readKvmProbeFile(path: string): Promise<KvmProbeResult> {
  return checkKvmProbe(await readDataFile(path, '--kvm-probe'), `--kvm-probe ${path}`);
}
