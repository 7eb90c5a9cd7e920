// An agent whose clock is wrong (its hello's clock_ns off from the collector's by more than the
// tolerance: schema/bounds.ts) has every record stored flagged with clock_skew_s, and compared
// with nothing (overhead/rows.ts). So that it does not silently vanish from the report, each
// such hello is recorded in `agent_clock`, stamped by the collector's clock: `report` lists
// the agents of its period whose clock was wrong (report/clocks.ts). A write listener that
// records what was seen: never owed, a failure is logged.
import type { Logger } from 'pino';
import { clockOffsetSeconds, TIME_BOUNDS, wrongClock } from '../../schema/bounds.js';
import type { WriteListener } from '../listener.js';
import type { Store, StorePoint } from '../store/store.js';

export function createClockRecorder(store: Store, log: Logger): WriteListener {
  return {
    name: 'recording wrong agent clocks',
    owed: false,
    async onHellos(hellos) {
      const points: StorePoint[] = [];
      for (const { hello, tags, nowNs } of hellos) {
        const offsetS = clockOffsetSeconds(hello.clock_ns, Number(nowNs / 1_000_000n));
        if (!wrongClock(offsetS)) continue;
        points.push({
          measurement: 'agent_clock',
          tags: { ...tags },
          fields: { offset_s: offsetS, tolerance_s: TIME_BOUNDS.clockToleranceS },
          timestamp: nowNs.toString(),
        });
      }
      if (points.length === 0) return;
      await store
        .write(points)
        .catch((err: Error) => log.error({ error: err.message, hellos: points.length, agent: points[0]!.tags.agent }, 'writing agent_clock failed'));
    },
  };
}
