// The agent: detect the environment, open the spool, connect to the collector (replaying what
// the spool holds first), run the suite once or on a schedule, and report status.
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { PROTOCOL_VERSION, type Hello } from '../proto/index.js';
import { AGENT_VERSION } from '../lib/version.js';
import type { AgentConfig } from './config/options.js';
import { detect } from './detect/index.js';
import { readKvmProbeFile } from './detect/probe-file.js';
import { hostFacts } from './facts.js';
import { allProgress, terminalProgress } from './progress.js';
import { RunSummary } from './summary.js';
import { runDry } from './dry-run.js';
import { nextDelayMs, sleep } from './schedule/schedule.js';
import { Spool } from './spool/spool.js';
import { lockSpool } from './spool/lock.js';
import { tally, tallyLine } from './tally.js';
import { stringProblem, WIRE_BOUNDS } from '../schema/bounds.js';
import { Sender } from './stream/sender.js';
import { loadProfile } from './sysbench/profiles.js';
import { sysbenchVersion } from './sysbench/runner.js';
import { nowNs, runSuite } from './suite.js';
import { runBudgetSeconds } from './run-budget.js';
import { readSecretFile, secretFileWarning } from '../lib/secret-file.js';
import { UsageError } from '../lib/errors.js';
import { quote } from '../lib/inert.js';

export async function runAgent(cfg: AgentConfig, log: Logger): Promise<number> {
  const profile = await loadProfile(cfg.profile);
  if (cfg.printStartTimeout) {
    process.stdout.write(`${runBudgetSeconds(profile, cfg.tests, cfg.trials, cfg.flushTimeoutMs)}\n`);
    return 0;
  }
  const version = await sysbenchVersion(cfg.sysbench);
  if (cfg.dryRun) return runDry(cfg, profile, version, log);
  const token = cfg.tokenFile ? readToken(cfg.tokenFile, log) : undefined;
  const keyWarning = cfg.tls.key ? secretFileWarning(cfg.tls.key, '--tls-key') : undefined;
  if (keyWarning) log.warn(keyWarning);
  const detection = await detect({ declared: cfg.declared, ...(cfg.kvmProbeFile ? { kvmProbe: await readKvmProbeFile(cfg.kvmProbeFile) } : {}) });
  // One agent per work directory (and spool): a second one refuses with the holder's pid.
  const locks = await Promise.all([...new Set([cfg.workdir, cfg.spoolDir])].map((d) => lockSpool(d)));
  const abort = new AbortController();
  let spoolFailure = '';
  const spool = Spool.open(cfg.spoolDir, {
    maxBytes: cfg.spoolMaxBytes,
    onDrop: (n, reason) => log.error({ dropped: n, reason }, `spool: ${reason}`),
    onCorrupt: (segment, offset, detail) => log.warn({ segment, offset, detail }, 'spool: skipped a corrupt record'),
    // The disk refused a write: what is spooled stays, what was not written is held in memory
    // and still sent; no more is measured, because it could not be kept.
    onWriteError: (code, message) => {
      spoolFailure = code;
      log.error(
        { code, error: message, spool: cfg.spoolDir },
        'the spool cannot be written: stopping the suite; what is spooled stays, the rest is sent from memory',
      );
      abort.abort();
    },
  });
  const atStart = spool.stats();
  let measured = 0;
  const hello: Hello = {
    protocol_version: PROTOCOL_VERSION,
    agent_id: cfg.agentId,
    hostname: hostname(),
    group: cfg.group,
    role: cfg.role,
    variant: cfg.variant,
    host: await hostFacts(),
    environment: {
      virt: detection.virt,
      container: detection.container,
      kvm: detection.kvm.verdict,
      cpuid_signatures: detection.cpuid_signatures.slice(0, WIRE_BOUNDS.Environment.cpuid_signatures.maxItems),
      detection_json: detectionJson(detection),
      declared: cfg.declared,
    },
    agent_version: AGENT_VERSION,
    sysbench_version: version.text,
    parent_agent: cfg.parent ?? '',
  };
  checkIdentity(hello, profile.name);
  log.info(
    {
      agent: cfg.agentId,
      parent: cfg.parent,
      group: cfg.group,
      role: cfg.role,
      virt: detection.virt,
      container: detection.container,
      kvm: detection.kvm.verdict,
      sysbench: version.text,
      profile: profile.name,
      spooled: spool.stats().spooled,
    },
    'agent starting',
  );

  const sender = new Sender({ address: cfg.collector, hello, token, tls: cfg.tls, spool, log });
  sender.start();

  let state: 'idle' | 'running' | 'replaying' = spool.stats().spooled > 0 ? 'replaying' : 'idle';
  let lastRunOk = true;
  const status = () => {
    const s = spool.stats();
    return sender.sendStatus({
      id: `${cfg.agentId}:status:${nowNs()}`,
      timestamp_ns: nowNs(),
      spooled: String(s.spooled),
      dropped: String(s.dropped),
      corrupt: String(s.corrupt),
      last_run_ok: lastRunOk,
      state,
      rejected: String(sender.rejected),
    });
  };
  const statusTimer = setInterval(() => void status(), cfg.statusIntervalMs);
  const onSignal = (sig: string) => {
    if (abort.signal.aborted) return;
    log.info({ signal: sig }, 'stopping: ending the current test (fileio cleans up), then flushing');
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let exitCode = 0;
  const summary = new RunSummary();
  try {
    for (;;) {
      state = 'running';
      const outcome = await runSuite({
        agentId: cfg.agentId,
        profile,
        tests: cfg.tests,
        trials: cfg.trials,
        sysbench: cfg.sysbench,
        version,
        workdir: cfg.workdir,
        spool,
        onSpooled: () => sender.pump(),
        log,
        progress: allProgress(terminalProgress(), summary),
        signal: abort.signal,
      });
      lastRunOk = outcome.ok;
      measured += outcome.results + outcome.samples;
      state = 'idle';
      void status();
      log.info({ run: outcome.runId, ok: outcome.ok, results: outcome.results, samples: outcome.samples, failed: outcome.failed }, 'suite finished');
      if (!outcome.ok) exitCode = 1;
      if (cfg.once || abort.signal.aborted) break;
      const delay = nextDelayMs(cfg.intervalMs, cfg.jitterMs);
      log.info({ nextRunInS: Math.round(delay / 1000) }, 'next run scheduled');
      await sleep(delay, abort.signal);
      if (abort.signal.aborted) break;
    }
    // Hand everything to the collector before leaving; what is not acked stays spooled.
    // Stopped by a signal: 10 s. Stopped by the spool's disk: the full flush timeout, since what
    // is held in memory is lost if the agent leaves before it is acknowledged.
    const flushMs = abort.signal.aborted && !spoolFailure ? 10_000 : cfg.flushTimeoutMs;
    if (!(await sender.drained(flushMs))) {
      log.error(
        { spooled: spool.stats().spooled, collector: cfg.collector, lastError: sender.lastError },
        'the collector did not acknowledge everything in time; the rest stays in the spool for the next start',
      );
      if (!abort.signal.aborted || spoolFailure) exitCode = exitCode || 3;
    } else {
      await status(); // the last heartbeat says spooled=0 (or how many the disk cannot give back)
    }
    const { unreadable } = spool.stats();
    if (unreadable > 0) {
      log.error(
        { unreadable, spool: cfg.spoolDir, code: spoolFailure },
        "spooled records cannot be read from the spool's disk: they stay there, and the next start sends them once the disk reads again",
      );
      exitCode = exitCode || 1;
    }
    if (cfg.once) process.stdout.write(summary.format());
    // A record the collector refused for good is lost to InfluxDB: do not report success.
    if (sender.rejected > 0) {
      log.error({ rejected: sender.rejected }, "the collector rejected records; they are in the spool's quarantine.jsonl, not in InfluxDB");
      exitCode = exitCode || 1;
    }
  } finally {
    clearInterval(statusTimer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    sender.stop();
    spool.close();
    for (const l of locks) l.release();
  }
  // The last line says what became of everything measured; exit non-zero when anything was
  // neither delivered nor kept, or the spool's disk stopped the suite.
  const t = tally(atStart, spool.stats(), measured, sender.delivered);
  const bad = t.lost > 0 || spoolFailure !== '';
  log[bad ? 'error' : 'info']({ ...t, spoolError: spoolFailure || undefined }, tallyLine(t));
  if (bad) return exitCode || 1;
  return abort.signal.aborted ? 0 : exitCode;
}

/** The collector's own rules (schema/bounds.ts), at start: a value it would refuse is a usage error now, not retries until the timeout. */
function checkIdentity(h: Hello, profileName: string): void {
  const fields: Array<[string, unknown, boolean, number]> = [
    ['--agent-id', h.agent_id, false, WIRE_BOUNDS.Hello.agent_id.maxBytes],
    ['--group', h.group, false, WIRE_BOUNDS.Hello.group.maxBytes],
    ['--variant', h.variant, true, WIRE_BOUNDS.Hello.variant.maxBytes],
    ["this machine's host name", h.hostname, false, WIRE_BOUNDS.Hello.hostname.maxBytes],
    ['--parent', h.parent_agent ?? '', true, WIRE_BOUNDS.Hello.parent_agent.maxBytes],
    ["the profile's name", profileName, false, WIRE_BOUNDS.Result.profile.maxBytes],
  ];
  for (const [name, value, allowEmpty, max] of fields) {
    const problem = stringProblem(value, max, allowEmpty);
    if (problem) throw new UsageError(`${name} ${quote(value, 60)} ${problem}: the collector would refuse it`);
  }
}

/** The whole detection when it fits the collector's bound; else the part it reads (the nesting depth). */
function detectionJson(detection: Awaited<ReturnType<typeof detect>>): string {
  const whole = JSON.stringify(detection);
  if (Buffer.byteLength(whole) <= WIRE_BOUNDS.Environment.detection_json.maxBytes) return whole;
  return JSON.stringify({ virt: detection.virt, container: detection.container, nested: detection.nested, truncated: true });
}

function readToken(path: string, log: Logger): string {
  const secret = readSecretFile(path, '--token-file');
  if (secret.warning) log.warn(secret.warning);
  return secret.value.trim();
}
