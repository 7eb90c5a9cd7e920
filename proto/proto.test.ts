// The TypeScript types in proto/gen are generated from proto/virtoverhead.proto: regenerating
// them must give the committed files, so the types can never drift from the wire contract.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROTOCOL_VERSION, MIN_PROTOCOL_VERSION, BATCH_PROTOCOL_VERSION, loadContract } from './index.js';
import { packageRoot } from '../lib/root.js';
import { tempDir } from '../test/support/temp-dir.js';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? files(join(dir, f)) : [join(dir, f)]));
}

describe('wire contract', () => {
  it('proto/gen is what proto-loader-gen-types makes of the proto today', () => {
    const root = packageRoot();
    const out = tempDir('vo-proto-');
    const script = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts['proto:gen'] as string;
    const args = script
      .split(' ')
      .slice(1)
      .map((a) => (a === 'proto/gen' ? out : a));
    execFileSync(join(root, 'node_modules', '.bin', 'proto-loader-gen-types'), args, { cwd: root });
    const committed = join(root, 'proto', 'gen');
    const want = files(out)
      .map((f) => relative(out, f))
      .sort();
    expect(
      files(committed)
        .map((f) => relative(committed, f))
        .sort(),
    ).toEqual(want);
    for (const f of want) expect(readFileSync(join(committed, f), 'utf8'), f).toBe(readFileSync(join(out, f), 'utf8'));
  });

  it('versions: this build accepts older agents and batches only from protocol 2', () => {
    expect(MIN_PROTOCOL_VERSION).toBeLessThanOrEqual(PROTOCOL_VERSION);
    expect(BATCH_PROTOCOL_VERSION).toBe(2);
    const { AgentMessage } = loadContract().virtoverhead.v1;
    // Field numbers are part of the contract: old agents send hello=1, result=2, sample=3, status=4.
    const fields = (AgentMessage as unknown as { type: { field: { name: string; number: number }[] } }).type.field;
    expect(Object.fromEntries(fields.map((f) => [f.name, f.number]))).toEqual({ hello: 1, result: 2, sample: 3, status: 4, batch: 5 });
  });
});
