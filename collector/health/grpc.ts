// The standard gRPC health service (grpc.health.v1.Health, the grpc-node team's
// grpc-health-check package) on the collector's port, and a client for probes (the compose
// healthcheck runs `virt-overhead health`).
import * as grpc from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { HealthImplementation, protoPath } from 'grpc-health-check';

/** Names the collector reports on: '' (the whole server) and its one service. */
export const HEALTH_SERVICES = ['', 'virtoverhead.v1.Collector'] as const;

export function addHealthService(server: grpc.Server): HealthImplementation {
  const health = new HealthImplementation(Object.fromEntries(HEALTH_SERVICES.map((s) => [s, 'SERVING'])));
  health.addToServer(server);
  return health;
}

interface HealthClient extends grpc.Client {
  check(req: { service: string }, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: { status: string }) => void): void;
}

/** Asks a server's health service; resolves to its status ('SERVING', 'NOT_SERVING', …). */
export async function probeHealth(
  address: string,
  service = '',
  timeoutMs = 5000,
  credentials = grpc.credentials.createInsecure(),
  channelOptions: grpc.ChannelOptions = {},
): Promise<string> {
  const def = loadSync(protoPath, { keepCase: true, longs: String, enums: String, defaults: true });
  const pkg = grpc.loadPackageDefinition(def) as unknown as {
    grpc: { health: { v1: { Health: new (a: string, c: grpc.ChannelCredentials, o: grpc.ChannelOptions) => HealthClient } } };
  };
  const client = new pkg.grpc.health.v1.Health(address, credentials, channelOptions);
  try {
    return await new Promise<string>((resolve, reject) =>
      client.check({ service }, { deadline: Date.now() + timeoutMs }, (err, res) =>
        err ? reject(new Error(`health check of ${address}: ${err.details || err.message}`)) : resolve(res!.status),
      ),
    );
  } finally {
    client.close();
  }
}
