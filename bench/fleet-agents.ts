// Child process of the fleet benchmark: every simulated agent of the fleet (bench/fleet-model.ts)
// as a real gRPC client (bench/sim-agent.ts), in its own process so their CPU shows apart from
// the collector's and the benchmark's. Commands over the IPC channel, each answered once done:
//   {type:'connect', address, watch}      every agent says hello (again, after a restart) → {type:'connected'};
//                                         `watch`: the collector's pid and InfluxDB, so a send fails only
//                                         when it is stuck (bench/collector-watch.ts), not after a fixed time
//   {type:'send', from, to, only?}        runs [from, to) tick by tick: every agent's run i is
//                                         acknowledged before run i+1 goes → {type:'sent', ...}
//   {type:'spool', from, to}              every agent's runs [from, to) encoded as its spool holds them
//                                         after an outage (bench/catchup.bench.ts) → {type:'spooled', ...}
//   {type:'replay'}                       every agent sends its whole spool at once, as a reconnected
//                                         agent replays it (window-limited, not run by run) → {type:'sent', agentMs}
//   {type:'close'}                        → exits
// `only`: agent ids (one group's baseline, one batch of guests); default every agent.
import { pathToFileURL } from 'node:url';
import type { AgentMessage } from '../proto/index.js';
import { fleetAgents, fleetHello, runMessages, type FleetAgent, type FleetSpec } from './fleet-model.js';
import { selfCpuMs } from './proc.js';
import { encodeRecords, SimAgent, type AckWait, type EncodedRecord, type SimAgentResult } from './sim-agent.js';
import { collectorStuck, type CollectorWatch } from './collector-watch.js';

/** No ack for this long: is the collector stuck? */
const QUIET_MS = 300_000;

export type FleetCommand =
  | { type: 'connect'; address: string; watch: CollectorWatch }
  | { type: 'send'; from: number; to: number; only?: string[] }
  | { type: 'spool'; from: number; to: number }
  | { type: 'replay' }
  | { type: 'close' };

export interface FleetSent {
  type: 'sent';
  /** Records acknowledged (results, samples, heartbeats). */
  acked: number;
  results: number;
  rejected: string[];
  ms: number;
  clientCpuMs: number;
  /** A replay: each agent's time from the start until its last ack, ms. */
  agentMs?: number[];
}

export interface FleetSpooled {
  type: 'spooled';
  records: number;
  results: number;
}

export type FleetReply = { type: 'connected'; agents: number } | FleetSent | FleetSpooled | { type: 'error'; message: string };

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '') as FleetSpec;
  const agents = fleetAgents(spec);
  let clients = new Map<string, SimAgent>();
  let wait: AckWait = { quietMs: QUIET_MS };
  const reply = (m: FleetReply) => process.send!(m);

  const connect = async (address: string, watch: CollectorWatch) => {
    wait = { quietMs: QUIET_MS, stuck: collectorStuck(watch, QUIET_MS) };
    for (const c of clients.values()) c.close();
    clients = new Map();
    // In slices, so a thousand handshakes do not all wait on one another.
    for (let i = 0; i < agents.length; i += 100) {
      const slice = agents.slice(i, i + 100);
      const made = slice.map((a) => [a, new SimAgent(address, fleetHello(a))] as const);
      await Promise.all(made.map(([, c]) => c.connect()));
      for (const [a, c] of made) clients.set(a.id, c);
    }
  };

  /** Times `work` (wall and this process's CPU) and adds what the agents' sends answered: acks, the first rejections. */
  const sending = async (work: (t0: number, out: FleetSent) => Promise<SimAgentResult[][]>, agentMs?: number[]): Promise<FleetSent> => {
    const t0 = performance.now();
    const cpu0 = selfCpuMs();
    const out: FleetSent = { type: 'sent', acked: 0, results: 0, rejected: [], ms: 0, clientCpuMs: 0, ...(agentMs ? { agentMs } : {}) };
    for (const s of (await work(t0, out)).flat()) {
      out.acked += s.acked;
      if (out.rejected.length < 5) out.rejected.push(...s.rejected.slice(0, 5 - out.rejected.length));
    }
    out.ms = performance.now() - t0;
    out.clientCpuMs = selfCpuMs() - cpu0;
    return out;
  };

  const send = (from: number, to: number, only?: string[]): Promise<FleetSent> => {
    const chosen: FleetAgent[] = only ? agents.filter((a) => only.includes(a.id)) : agents;
    return sending(async (_t0, out) => {
      const ticks: SimAgentResult[][] = [];
      for (let i = from; i < to; i++)
        ticks.push(
          await Promise.all(
            chosen.map((a) => {
              const messages = runMessages(spec, a, i);
              out.results += messages.filter((m) => m.result).length;
              return clients.get(a.id)!.send(messages, wait);
            }),
          ),
        );
      return ticks;
    });
  };

  // What each agent's spool holds after an outage, encoded before any clock starts (a real agent
  // reads and encodes its spool on its own machine).
  let spools = new Map<string, EncodedRecord[]>();
  const spool = (from: number, to: number): FleetSpooled => {
    spools = new Map();
    const out: FleetSpooled = { type: 'spooled', records: 0, results: 0 };
    for (const a of agents) {
      const messages: AgentMessage[] = [];
      for (let i = from; i < to; i++) messages.push(...runMessages(spec, a, i));
      out.records += messages.length;
      out.results += messages.filter((m) => m.result).length;
      spools.set(a.id, encodeRecords(messages));
    }
    return out;
  };

  const replay = async (): Promise<FleetSent> => {
    if (spools.size === 0) throw new Error('replay: no spool (send a spool command first)');
    const agentMs: number[] = [];
    const sent = await sending(
      async (t0, out) => [
        await Promise.all(
          agents.map(async (a) => {
            const records = spools.get(a.id)!;
            out.results += records.filter((r) => r.field === 1).length;
            const s = await clients.get(a.id)!.send(records, wait);
            agentMs.push(performance.now() - t0);
            return s;
          }),
        ),
      ],
      agentMs,
    );
    spools = new Map();
    return sent;
  };

  process.on('message', (cmd: FleetCommand) => {
    const run = async () => {
      if (cmd.type === 'connect') {
        await connect(cmd.address, cmd.watch);
        reply({ type: 'connected', agents: clients.size });
      } else if (cmd.type === 'send') reply(await send(cmd.from, cmd.to, cmd.only));
      else if (cmd.type === 'spool') reply(spool(cmd.from, cmd.to));
      else if (cmd.type === 'replay') reply(await replay());
      else {
        for (const c of clients.values()) c.close();
        process.exit(0);
      }
    };
    run().catch((err: Error) => reply({ type: 'error', message: err.stack ?? err.message }));
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: Error) => {
    process.stderr.write(`fleet-agents: ${err.stack ?? err.message}\n`);
    process.exit(1);
  });
}
