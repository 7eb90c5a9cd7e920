// Everything a running guest leaves behind (its QEMU process group and temp folder) is
// registered here, so a normal end, an error, SIGINT/SIGTERM or process exit all clean up.
import { rmSync } from 'node:fs';

interface Live {
  /** QEMU's pid; it leads its own process group (its guest-forward relays live there too). */
  pid?: number;
  tmpDir: string;
}

const live = new Set<Live>();
let installed = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

function cleanupAll(): void {
  for (const l of live) {
    if (l.pid) killGroup(l.pid, 'SIGKILL');
    rmSync(l.tmpDir, { recursive: true, force: true });
  }
  live.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  cleanupAll();
  uninstall();
  // Nobody else handles it: die of the signal as the user asked.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', cleanupAll);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  process.removeListener('exit', cleanupAll);
}

export interface Registration {
  setPid(pid: number): void;
  /** Kills the QEMU process group (if any is left) and removes the temp folder. */
  release(): void;
}

export function register(tmpDir: string): Registration {
  const entry: Live = { tmpDir };
  live.add(entry);
  install();
  return {
    setPid(pid) {
      entry.pid = pid;
    },
    release() {
      if (entry.pid) killGroup(entry.pid, 'SIGKILL');
      rmSync(entry.tmpDir, { recursive: true, force: true });
      live.delete(entry);
      if (live.size === 0) uninstall();
    },
  };
}

/** For tests: how many guests are registered right now. */
export function liveCount(): number {
  return live.size;
}
