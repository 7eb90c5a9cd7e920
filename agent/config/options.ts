// The agent's options: one list, read from the command line, VIRT_OVERHEAD_AGENT_* and --config.
import { hostname } from 'node:os';
import { join } from 'node:path';
import { TESTS, isTestName, type TestName } from '../sysbench/fields.js';
import { parseDeclared } from '../detect/declared.js';
import { duration, int, optStr, size, str, type OptionSpec, type OptionValues } from '../../lib/options.js';
import { LOG_LEVEL_OPTION, TRIALS_OPTION, TLS_CLIENT_OPTIONS, tlsClientOptions } from '../../lib/common-options.js';
import { UsageError } from '../../lib/errors.js';

const ROLES = ['baseline', 'guest'] as const;

export const AGENT_OPTIONS: OptionSpec[] = [
  { name: 'collector', type: 'address', help: 'collector address HOST:PORT', conflicts: ['dry-run'] },
  { name: 'once', type: 'boolean', help: 'run the suite once, wait for the acks, print what was measured, exit', default: false },
  {
    name: 'dry-run',
    type: 'boolean',
    help: 'run the suite once and print the results; needs no collector, sends and keeps nothing (profile quick unless --profile says)',
    default: false,
  },
  { name: 'interval', type: 'duration', help: 'time between scheduled runs', default: '6h', conflicts: ['once', 'dry-run'] },
  { name: 'jitter', type: 'duration', help: 'random delay added to each scheduled run', default: '10m', conflicts: ['once', 'dry-run'] },
  { name: 'profile', type: 'string', help: "seed (the report's five commands), quick, or a YAML/JSON file (default: seed; quick with --dry-run)" },
  { name: 'tests', type: 'list', help: 'tests to run', default: [...TESTS], values: TESTS, noun: 'test', min: 1 },
  TRIALS_OPTION('trials per test (more are added, up to 2N, while a headline metric is too imprecise for a verdict)', '3'),
  { name: 'group', type: 'string', help: 'the set of machines compared against one baseline', default: 'default' },
  { name: 'role', type: 'enum', values: ROLES, help: 'baseline (the native reference of its group) or guest', default: 'guest' },
  { name: 'variant', type: 'string', help: 'label of this configuration, e.g. stock-qemu', default: 'default' },
  { name: 'agent-id', type: 'string', help: "this agent's id (default: the hostname)" },
  { name: 'parent', type: 'string', help: 'agent id of the machine this one runs on (nested stacks: compared layer by layer)' },
  { name: 'workdir', type: 'path', help: 'work directory (fileio files, spool)', default: '/var/lib/virt-overhead' },
  { name: 'spool-dir', type: 'path', help: 'spool directory (default: WORKDIR/spool)' },
  { name: 'spool-max', type: 'size', help: 'spool size cap; past it the oldest records are dropped', default: '256MiB' },
  { name: 'flush-timeout', type: 'duration', help: 'with --once: how long to wait for the collector to acknowledge everything', default: '5m' },
  { name: 'token-file', type: 'path', help: "file holding this agent's token" },
  ...TLS_CLIENT_OPTIONS,
  { name: 'kvm-probe', type: 'path', help: 'JSON {ranGuest, detail} from a probe boot (the lab writes it): the evidence a KVM guest really ran' },
  { name: 'declare', type: 'multi', help: 'KEY=VALUE facts detection cannot know (e.g. nesting=L2-in-vmware)' },
  { name: 'sysbench', type: 'string', help: 'sysbench binary', default: 'sysbench' },
  { name: 'status-interval', type: 'duration', help: 'time between agent_status heartbeats', default: '30s' },
  {
    name: 'print-start-timeout',
    type: 'boolean',
    help: "print the most one --once run may take, in seconds (every test at its timeout, every trial the rule may add, the flush), then exit: the timer unit's TimeoutStartSec",
    default: false,
    cliOnly: true,
  },
  LOG_LEVEL_OPTION,
];

export interface AgentConfig {
  collector: string;
  once: boolean;
  dryRun: boolean;
  intervalMs: number;
  jitterMs: number;
  profile: string;
  tests: TestName[];
  trials: number;
  group: string;
  role: 'baseline' | 'guest';
  variant: string;
  agentId: string;
  /** The agent this one runs on (nested stacks); absent = none declared. */
  parent?: string;
  workdir: string;
  spoolDir: string;
  spoolMaxBytes: number;
  flushTimeoutMs: number;
  tokenFile?: string;
  tls: { ca?: string; cert?: string; key?: string; serverName?: string; allowPlaintext: boolean };
  declared: Record<string, string>;
  kvmProbeFile?: string;
  sysbench: string;
  statusIntervalMs: number;
  printStartTimeout: boolean;
  logLevel: string;
}

export function resolveAgentConfig(v: OptionValues): AgentConfig {
  const dryRun = v['dry-run'] === true;
  const printStartTimeout = v['print-start-timeout'] === true;
  // HOST:PORT was checked by the option's type; a dry run sends nothing, so it needs none, and
  // --print-start-timeout only reads the profile.
  const collector = dryRun ? 'none:0' : printStartTimeout ? (optStr(v, 'collector') ?? 'none:0') : str(v, 'collector');
  const tests = (v.tests as string[]).filter(isTestName);
  const role = str(v, 'role') as (typeof ROLES)[number];
  const declared = parseDeclared((v.declare as string[] | undefined) ?? []);
  const workdir = str(v, 'workdir');
  const agentId = optStr(v, 'agent-id') ?? hostname();
  const parent = optStr(v, 'parent');
  if (parent !== undefined && (parent.trim() === '' || parent === agentId))
    throw new UsageError(`--parent '${parent}': give the agent id of the machine this one runs on (not empty, not this agent's own id '${agentId}')`);
  const logLevel = str(v, 'log-level');
  return {
    collector,
    once: v.once === true || dryRun,
    dryRun,
    intervalMs: duration(v, 'interval'),
    jitterMs: duration(v, 'jitter'),
    // A dry run tries a machine or a profile: quick (seconds) unless a profile is named.
    profile: optStr(v, 'profile') ?? (dryRun ? 'quick' : 'seed'),
    tests,
    trials: int(v, 'trials'),
    group: str(v, 'group'),
    role,
    variant: str(v, 'variant'),
    agentId,
    ...(parent ? { parent } : {}),
    workdir,
    spoolDir: optStr(v, 'spool-dir') ?? join(workdir, 'spool'),
    spoolMaxBytes: size(v, 'spool-max'),
    flushTimeoutMs: duration(v, 'flush-timeout'),
    ...(optStr(v, 'token-file') ? { tokenFile: optStr(v, 'token-file') } : {}),
    tls: tlsClientOptions(v),
    declared,
    ...(optStr(v, 'kvm-probe') ? { kvmProbeFile: optStr(v, 'kvm-probe') } : {}),
    sysbench: str(v, 'sysbench'),
    statusIntervalMs: duration(v, 'status-interval'),
    printStartTimeout,
    logLevel,
  };
}
