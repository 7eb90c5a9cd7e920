// Child process of the ingest benchmark: N simulated agents in their own process, so the
// clients' CPU shows apart from the collector's. Protocol over the IPC channel:
//   parent → {address, agents, perAgent, baseNs, window}  (argv[2] as JSON)
//   child  → {type:'ready'} once every agent got its Welcome
//   parent → {type:'go'}
//   child  → {type:'acked'} the moment the last ack came (the parent's window then waits for the
//            collector's owed work: ingest-window.ts)
//   child  → {type:'done', ...IngestClientReport}, then exits.
import { selfCpuMs } from './proc.js';
import { pathToFileURL } from 'node:url';
import { simAgentId, simHello, simMessage } from './messages.js';
import { encodeRecords, SimAgent, type EncodedRecord } from './sim-agent.js';
import { percentile } from './stats.js';

export interface IngestClientArgs {
  address: string;
  agents: number;
  perAgent: number;
  baseNs: string;
  window: number;
}

export interface IngestClientReport {
  type: 'done';
  sent: number;
  acked: number;
  rejected: string[];
  elapsedMs: number;
  ackP50Ms: number;
  ackP99Ms: number;
  clientCpuMs: number;
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2] ?? '') as IngestClientArgs;
  const baseNs = BigInt(args.baseNs);
  const agents: SimAgent[] = [];
  // Encoded before 'ready': the clients' clock and CPU count sending, not protobuf encoding (sim-agent.ts).
  const batches: EncodedRecord[][] = [];
  for (let i = 0; i < args.agents; i++) {
    const id = simAgentId(i);
    agents.push(new SimAgent(args.address, simHello(id, 'bench'), args.window));
    batches.push(encodeRecords(Array.from({ length: args.perAgent }, (_, k) => simMessage(id, k, baseNs))));
  }
  // Connect in slices so a thousand handshakes do not all time out together.
  for (let i = 0; i < agents.length; i += 100) await Promise.all(agents.slice(i, i + 100).map((a) => a.connect()));
  await new Promise<void>((resolve) => {
    process.once('message', () => resolve());
    process.send!({ type: 'ready' });
  });
  const cpu0 = selfCpuMs();
  const t0 = performance.now();
  const results = await Promise.all(agents.map((a, i) => a.send(batches[i]!)));
  const elapsedMs = performance.now() - t0;
  const clientCpuMs = selfCpuMs() - cpu0;
  process.send!({ type: 'acked' });
  const latencies = results.flatMap((r) => r.latenciesMs);
  const report: IngestClientReport = {
    type: 'done',
    sent: results.reduce((n, r) => n + r.sent, 0),
    acked: results.reduce((n, r) => n + r.acked, 0),
    rejected: results.flatMap((r) => r.rejected).slice(0, 5),
    elapsedMs,
    ackP50Ms: percentile(latencies, 50),
    ackP99Ms: percentile(latencies, 99),
    clientCpuMs,
  };
  for (const a of agents) a.close();
  process.send!(report, () => process.exit(0));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: Error) => {
    process.stderr.write(`ingest-clients: ${err.stack ?? err.message}\n`);
    process.exit(1);
  });
}
