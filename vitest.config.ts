import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'lib/**/*.test.ts',
      'schema/**/*.test.ts',
      'test/**/*.test.ts',
      'agent/**/*.test.ts',
      'collector/**/*.test.ts',
      'grafana/**/*.test.ts',
      'lab/**/*.test.ts',
      'cli/**/*.test.ts',
      'proto/**/*.test.ts',
      'deploy/**/*.test.ts',
    ],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Suites start real influxd, collectors and sysbench: on 2 cores, run files one at a time
    // so that benchmarks inside tests do not fight each other for CPU.
    fileParallelism: false,
    globalSetup: ['test/support/global-setup.ts'],
  },
});
