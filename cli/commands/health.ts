// virt-overhead health --collector HOST:PORT: asks the collector's standard gRPC health
// service; exit 0 when SERVING, 1 otherwise (for container healthchecks and monitors).
import { probeHealth } from '../../collector/health/grpc.js';
import { USAGE_EXIT, formatHelp, optStr, parseOptions, str, type CommandSpec, type OptionSpec } from '../../lib/options.js';

const SPECS: OptionSpec[] = [
  {
    name: 'collector',
    type: 'address',
    help: 'collector address HOST:PORT (plain text; for a TLS collector probe its local plain-text port or use grpc_health_probe)',
    default: '127.0.0.1:50051',
  },
  { name: 'service', type: 'string', help: "service name ('' = the whole server)", default: '' },
];

export const COMMAND: CommandSpec = {
  name: 'health',
  usage: 'usage: virt-overhead health [--collector HOST:PORT] [--service NAME]',
  options: SPECS,
  exitCodes: [{ code: 0, meaning: 'the collector answered SERVING' }, { code: 1, meaning: 'it answered anything else, or did not answer' }, USAGE_EXIT],
};

export async function run(argv: string[]): Promise<number> {
  const { values, help } = parseOptions(COMMAND, argv);
  if (help) {
    process.stdout.write(formatHelp(COMMAND) + '\n');
    return 0;
  }
  const status = await probeHealth(str(values, 'collector'), optStr(values, 'service') ?? '');
  process.stdout.write(status + '\n');
  return status === 'SERVING' ? 0 : 1;
}
