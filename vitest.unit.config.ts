// The fast tier (`npm run test:unit`): tests that need no influxd, QEMU, sysbench, built
// program (dist/) or network, and finish in seconds. `npm test` (vitest.config.ts) still runs
// every test, these included. A new test file joins this tier only by being listed here: list it
// when it starts none of those. Whole files, not globs, so a slow test added next to a fast one
// never slips in.
import { defineConfig } from 'vitest/config';

export const UNIT_TESTS = [
  'agent/detect/detect.test.ts', // fixture roots
  'agent/detect/parts.test.ts', // builds the small CPUID helper with cc; probes no real KVM guest
  'agent/detect/probe-file.test.ts',
  'agent/noise/noise.test.ts', // captured /proc files
  'agent/progress.test.ts',
  'agent/spool/spool.test.ts',
  'agent/stream/backoff.test.ts',
  'agent/stream/credentials.test.ts', // openssl makes a CA; TLS connects to a closed loopback port
  'agent/stream/sender.test.ts', // a scripted gRPC server in-process on 127.0.0.1
  'agent/sysbench/lines.test.ts',
  'agent/sysbench/parser/cli.test.ts',
  'agent/sysbench/parser/fuzz.test.ts',
  'agent/sysbench/parser/golden.test.ts', // the parser's answers pinned (fixtures + seeded mutations)
  'agent/sysbench/parser/numbers.test.ts',
  'agent/sysbench/parser/parser.test.ts',
  'agent/sysbench/profiles.test.ts',
  'collector/changes/detect.test.ts',
  'collector/changes/series.test.ts',
  'collector/changes/changes.test.ts', // the change detector on the in-memory store
  'collector/changes/group.test.ts', // a group's analysis counted on the in-memory store
  'collector/changes/report.test.ts', // report --changes on the in-memory store
  'collector/facts/facts.test.ts',
  'collector/facts/recorder.test.ts', // against the in-memory store
  'collector/health/clock.test.ts', // wrong clocks recorded and reported, on the in-memory store
  'collector/influx/chain-fields.test.ts',
  'collector/influx/line.test.ts',
  'collector/influx/points.schema.test.ts',
  'collector/influx/writer.test.ts',
  'collector/influx/http.test.ts', // a scripted HTTP server in-process on 127.0.0.1
  'collector/influx/history.newest.test.ts',
  'collector/config.test.ts', // the collector's options resolved, no start
  'collector/latest/overhead-latest.test.ts', // refreshLatest on the in-memory store
  'collector/owed.test.ts',
  'collector/pipeline.test.ts',
  'collector/overhead/fields.test.ts',
  'collector/report/facts.test.ts', // against the in-memory store
  'collector/rollup/daily.test.ts', // the daily rollup's arithmetic
  'collector/rollup/report-weeks.test.ts', // the report rollup's 7-day level: its lists round-trip, its buckets
  'collector/report/output.test.ts',
  'collector/overhead/overhead.test.ts', // against the in-memory store (test/support/memory-store.ts)
  'collector/overhead/chain/calculator.test.ts', // against the in-memory store (test/support/memory-store.ts)
  'collector/overhead/chain/chain.test.ts',
  'collector/overhead/variants.test.ts',
  'collector/server/ratelimit.test.ts',
  'collector/server/stream.test.ts', // fake call objects and a fake writer
  'collector/server/token-file.test.ts',
  'collector/server/tokens.test.ts',
  'collector/server/validate.test.ts',
  'grafana/generate.test.ts',
  'grafana/grafana-compat.test.ts',
  'lab/nested-plan.test.ts',
  'lab/order.test.ts',
  'lib/changepoint/autocorr.test.ts',
  'lib/changepoint/drift.test.ts',
  'lib/changepoint/fast-paths.test.ts', // the allocation-free paths against the code they replaced
  'lib/changepoint/otava.test.ts',
  'lib/compare/clean.test.ts',
  'lib/compare/compare.test.ts',
  'lib/compare/margin.test.ts',
  'lib/compare/trials.test.ts',
  'lib/child.test.ts', // sh children, stopped by pid
  'lib/idle-map.test.ts',
  'lib/read-ahead.test.ts',
  'lib/inert.test.ts',
  'lib/options.test.ts',
  'lib/version.test.ts', // git in a temporary folder
  'lib/secret-file.test.ts',
  'lib/stats/median-ci.test.ts',
  'lib/stats/stats.test.ts',
  'proto/proto.test.ts',
  'schema/bounds.test.ts',
  'schema/influx.test.ts',
  'schema/test-types.test.ts', // adds a made-up test type through vi.doMock
  'test/bench-args.test.ts', // the benchmark runner's argument check, pure
  'test/bench-paired-ratio.test.ts', // the ingest goal's verdict from paired runs, pure
  'test/bench-catchup.test.ts', // the catch-up benchmark's options, plan and goal verdicts, pure
  'test/bench-panels.test.ts', // the months bench's options, agents, title and year goal, pure
  'test/bench-ingest-window.test.ts', // the ingest window against the real after-write pipeline, an injected clock
  'test/bench-ack-wait.test.ts', // a scripted gRPC collector in-process on 127.0.0.1, an injected clock
  'test/sim-agent-wire.test.ts', // protobuf bytes compared, pure
  'test/deploy-systemd-version.test.ts', // install-agent.sh dry runs into temp roots (sh only)
  'test/noise-model.test.ts', // the fitted noise model of bench/changes.bench.ts: pure math on a recorded JSON
  'test/sample-configs.test.ts',
  'test/unit-tier.test.ts',
];

export default defineConfig({
  test: {
    include: UNIT_TESTS,
    // Worker threads start faster than the default child processes: about a fifth less CPU for
    // this tier (6.5 s instead of 8 when it held 25 files). Each file keeps its own module graph.
    pool: 'threads',
    // vitest's defaults (5 s a test, 10 s a hook) are speed limits, not assertions: at load 15
    // (five engineers on 2 cores) lib/changepoint/autocorr's simulation and schema/test-types'
    // module reload passed their checks but ran past them. Speed goals live in bench/.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
