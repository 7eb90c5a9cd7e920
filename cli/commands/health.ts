// virt-overhead health --collector HOST:PORT: asks the collector's standard gRPC health
// service; exit 0 when SERVING, 1 otherwise (for container healthchecks and monitors). It
// reaches the collector as an agent does: TLS with the agent's options, plain text only to
// loopback unless --allow-plaintext.
import { clientCredentials, tlsFailureHint } from '../../agent/stream/credentials.js';
import { probeHealth } from '../../collector/health/grpc.js';
import { TLS_CLIENT_OPTIONS, tlsClientOptions } from '../../lib/common-options.js';
import { USAGE_EXIT, formatHelp, optStr, parseOptions, str, type CommandSpec, type OptionSpec } from '../../lib/options.js';

const SPECS: OptionSpec[] = [
  { name: 'collector', type: 'address', help: 'collector address HOST:PORT', default: '127.0.0.1:50051' },
  { name: 'service', type: 'string', help: "service name ('' = the whole server)", default: '' },
  ...TLS_CLIENT_OPTIONS,
];

export const COMMAND: CommandSpec = {
  name: 'health',
  usage: 'usage: virt-overhead health [--collector HOST:PORT] [--tls-ca FILE [--tls-server-name NAME]] [--service NAME]',
  options: SPECS,
  exitCodes: [{ code: 0, meaning: 'the collector answered SERVING' }, { code: 1, meaning: 'it answered anything else, or did not answer' }, USAGE_EXIT],
};

export async function run(argv: string[]): Promise<number> {
  const { values, help } = await parseOptions(COMMAND, argv);
  if (help) {
    process.stdout.write(formatHelp(COMMAND) + '\n');
    return 0;
  }
  const address = str(values, 'collector');
  const tls = tlsClientOptions(values);
  const { creds, options } = clientCredentials(address, tls);
  let status: string;
  try {
    status = await probeHealth(address, optStr(values, 'service') ?? '', 5000, creds, options);
  } catch (err) {
    const hint = tlsFailureHint((err as Error).message, tls);
    throw new Error((err as Error).message.replace(/\s*Resolution note:\s*$/, '') + (hint ? `\n${hint}` : ''));
  }
  process.stdout.write(status + '\n');
  return status === 'SERVING' ? 0 : 1;
}
