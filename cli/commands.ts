// The commands of virt-overhead, each loaded only when asked for, so `parse` and `detect` start
// fast and do not pull in gRPC or InfluxDB. main.ts dispatches through this list; the man pages
// (cli/man.ts) are written from it and from each command's COMMAND declaration.
import type { CommandSpec } from '../lib/options.js';

export interface CommandModule {
  COMMAND: CommandSpec;
  run(argv: string[]): Promise<number>;
}

export const COMMANDS: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  agent: { summary: 'run the sysbench suite and stream results to a collector', load: () => import('./commands/agent.js') },
  collector: { summary: 'receive agents over gRPC and write to InfluxDB', load: () => import('./commands/collector.js') },
  parse: { summary: 'parse sysbench output files (any version) into fields', load: () => import('./commands/parse.js') },
  detect: { summary: 'detect virtualization, container and whether KVM works', load: () => import('./commands/detect.js') },
  report: { summary: 'overhead table (and HTML report) from InfluxDB', load: () => import('./commands/report.js') },
  health: { summary: "ask a collector's gRPC health service (exit 0 when serving)", load: () => import('./commands/health.js') },
  token: { summary: "add, revoke or list agents' tokens in the collector's tokens file", load: () => import('./commands/token.js') },
  cert: { summary: "make the collector's TLS certificates (a CA, the collector's, agents')", load: () => import('./commands/cert.js') },
  lab: { summary: 'boot throwaway QEMU guests and measure them against this machine', load: () => import('./commands/lab.js') },
  quickstart: {
    summary: 'local InfluxDB + collector + native baseline (+ a TCG guest), then the results table',
    load: () => import('./commands/quickstart.js'),
  },
};
