#!/usr/bin/env node
// virt-overhead: one program, one subcommand per capability. Each subcommand lives in
// cli/commands/<name>.ts and is loaded only when asked for, so `parse` and `detect`
// start fast and do not pull in gRPC or InfluxDB.
import { UsageError } from '../lib/errors.js';

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> }> = {
  agent: { summary: 'run the sysbench suite and stream results to a collector', load: () => import('./commands/agent.js') },
  collector: { summary: 'receive agents over gRPC and write to InfluxDB', load: () => import('./commands/collector.js') },
  parse: { summary: 'parse sysbench output files (any version) into fields', load: () => import('./commands/parse.js') },
  detect: { summary: 'detect virtualization, container and whether KVM works', load: () => import('./commands/detect.js') },
  report: { summary: 'overhead table (and HTML report) from InfluxDB', load: () => import('./commands/report.js') },
  health: { summary: "ask a collector's gRPC health service (exit 0 when serving)", load: () => import('./commands/health.js') },
  lab: { summary: 'boot throwaway QEMU guests and measure them against this machine', load: () => import('./commands/lab.js') },
  quickstart: {
    summary: 'local InfluxDB + collector + native baseline (+ a TCG guest), then the results table',
    load: () => import('./commands/quickstart.js'),
  },
};

function usage(): string {
  const lines = ['usage: virt-overhead <command> [options]', '', 'Commands:'];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(12)} ${c.summary}`);
  lines.push('', "Run 'virt-overhead <command> --help' for a command's options.");
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name ? 0 : 2;
  }
  if (name === '--version') {
    const { AGENT_VERSION } = await import('../lib/version.js');
    process.stdout.write(AGENT_VERSION + '\n');
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`virt-overhead: unknown command '${name}'\n\n${usage()}\n`);
    return 2;
  }
  try {
    return await (await command.load()).run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`virt-overhead ${name}: ${err.message}\n(see 'virt-overhead ${name} --help')\n`);
      return 2;
    }
    process.stderr.write(`virt-overhead ${name}: ${(err as Error).message}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`virt-overhead: ${(err as Error).stack ?? String(err)}\n`);
    process.exitCode = 1;
  },
);
