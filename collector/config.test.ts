// --forget-after against --silence-after and the results-rate bucket's refill (issue 26): a
// combination that would forget agents between their runs, or hand a paused agent a full bucket
// early, is refused with a UsageError naming both options; the defaults and equal values pass.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../lib/errors.js';
import { parseOptions } from '../lib/options.js';
import { collectorOptions, COLLECTOR_OPTIONS } from './config.js';

const resolve = async (argv: string[]) =>
  collectorOptions(
    (await parseOptions({ name: 'collector', usage: '', options: COLLECTOR_OPTIONS, exitCodes: [] }, argv, {})).values,
    argv,
    pino({ level: 'silent' }),
  );

describe('--forget-after', () => {
  it('the defaults and a forget time equal to the silence window pass', async () => {
    expect(await resolve([])).toMatchObject({ forgetAfterMs: 86_400_000, silenceAfterMs: 300_000 });
    expect((await resolve(['--silence-after', '7h', '--forget-after', '7h'])).forgetAfterMs).toBe(7 * 3_600_000);
  });

  it('shorter than --silence-after is refused, naming both as given', async () => {
    const bad = () => resolve(['--silence-after', '6h', '--forget-after', '1h']);
    await expect(bad()).rejects.toThrow(UsageError);
    await expect(bad()).rejects.toThrow('--forget-after 1h is shorter than --silence-after 6h');
  });

  it("shorter than the results-rate bucket's refill is refused; a faster --result-rate refills sooner", async () => {
    // 1 000 results at the default 5 a second: 200 s.
    const bad = () => resolve(['--silence-after', '1m', '--forget-after', '2m']);
    await expect(bad()).rejects.toThrow(UsageError);
    await expect(bad()).rejects.toThrow("--forget-after 2m is shorter than the 200s an agent's results-rate bucket takes to fill again");
    expect((await resolve(['--silence-after', '1m', '--forget-after', '2m', '--result-rate', '100'])).forgetAfterMs).toBe(120_000);
  });
});
