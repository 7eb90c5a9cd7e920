// `agent --dry-run`: the suite once, its results printed, nothing sent and nothing kept (like
// Telegraf's --test). For trying a profile or a new machine before pointing it at a collector.
// It holds the work directory's lock like any agent: its fileio files would otherwise land in the
// middle of a scheduled agent's run in the same directory.
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { AgentConfig } from './config/options.js';
import { detect } from './detect/index.js';
import { allProgress, terminalProgress } from './progress.js';
import { lockSpool, type SpoolLock } from './spool/lock.js';
import { Spool } from './spool/spool.js';
import { RunSummary } from './summary.js';
import type { SysbenchVersion } from './sysbench/dialect.js';
import type { Profile } from './sysbench/profiles.js';
import { runSuite } from './suite.js';

/** The configured work dir when this user may write it, else a temporary one (said on stderr). */
function usableWorkdir(wanted: string, scratch: string): string {
  try {
    mkdirSync(wanted, { recursive: true });
    accessSync(wanted, constants.W_OK);
    return wanted;
  } catch (err) {
    const dir = join(scratch, 'work');
    mkdirSync(dir);
    process.stderr.write(
      `virt-overhead agent --dry-run: cannot use --workdir ${wanted} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); fileio runs in ${dir} instead\n`,
    );
    return dir;
  }
}

export async function runDry(cfg: AgentConfig, profile: Profile, version: SysbenchVersion, log: Logger): Promise<number> {
  const scratch = mkdtempSync(join(tmpdir(), 'vo-dry-run-'));
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // Results go through a throwaway spool (the suite's one way of handing them on) that is deleted.
  const spool = Spool.open(join(scratch, 'spool'));
  let lock: SpoolLock | undefined;
  try {
    const d = await detect({ declared: cfg.declared });
    process.stdout.write(`virt ${d.virt}, container ${d.container}, kvm ${d.kvm.verdict}; sysbench ${version.text}; profile ${profile.name}\n`);
    const summary = new RunSummary();
    const workdir = usableWorkdir(cfg.workdir, scratch);
    if (workdir === cfg.workdir) lock = await lockSpool(workdir);
    const outcome = await runSuite({
      agentId: cfg.agentId,
      profile,
      tests: cfg.tests,
      trials: cfg.trials,
      sysbench: cfg.sysbench,
      version,
      workdir,
      spool,
      onSpooled: () => {},
      log,
      progress: allProgress(terminalProgress(), summary),
      signal: abort.signal,
    });
    process.stdout.write(summary.format());
    for (const f of outcome.failed) process.stdout.write(`failed: ${f}\n`);
    process.stdout.write(`dry run: ${outcome.results} results, nothing sent or kept\n`);
    return outcome.ok ? 0 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    lock?.release();
    spool.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}
