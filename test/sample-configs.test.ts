// The sample configs shipped beside the agent and the collector are read by the real option
// parser, so a renamed option cannot leave them stale.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AGENT_OPTIONS, resolveAgentConfig } from '../agent/config/options.js';
import { COLLECTOR_OPTIONS } from '../collector/config.js';
import { parseOptions } from '../lib/options.js';
import { packageRoot } from '../lib/root.js';

describe('sample configs', () => {
  it('agent.sample.yaml resolves to a full agent config', async () => {
    const { values } = await parseOptions(
      { name: 'agent', usage: '', options: AGENT_OPTIONS, exitCodes: [] },
      ['--config', join(packageRoot(), 'agent', 'agent.sample.yaml')],
      {},
    );
    const cfg = resolveAgentConfig(values);
    expect(cfg).toMatchObject({
      collector: 'collector.example.internal:50051',
      intervalMs: 6 * 3600_000,
      jitterMs: 600_000,
      profile: 'seed',
      trials: 3,
      group: 'rack-7',
      role: 'guest',
      spoolMaxBytes: 256 * 2 ** 20,
      declared: { nesting: 'L2 inside VMware', host: 'hv-12' },
    });
    expect(cfg.tests).toEqual(['cpu', 'threads', 'fileio', 'memory', 'mutex']);
  });
  it('collector.sample.yaml uses only known options', async () => {
    const { values } = await parseOptions(
      { name: 'collector', usage: '', options: COLLECTOR_OPTIONS, exitCodes: [] },
      ['--config', join(packageRoot(), 'collector', 'collector.sample.yaml')],
      {},
    );
    expect(values).toMatchObject({ listen: '0.0.0.0:50051', database: 'virt_overhead', 'no-create-db': false, 'baseline-window': '24h' });
  });
});
