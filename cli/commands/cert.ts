// virt-overhead cert ca|collector|agent: the certificates of the collector's TLS, made with
// openssl (collector/server/cert.ts); prints the openssl commands it ran, so the recipe can be
// followed by hand (docs/install.md "TLS").
import { makeCa, makeSigned, type Made } from '../../collector/server/cert.js';
import { UsageError } from '../../lib/errors.js';
import { OK_EXIT, USAGE_EXIT, FAILED_EXIT, formatHelp, int, parseOptions, str, type CommandSpec } from '../../lib/options.js';

const ACTIONS = ['ca', 'collector', 'agent'] as const;

export const COMMAND: CommandSpec = {
  name: 'cert',
  usage:
    'usage: virt-overhead cert ca [--dir DIR] [--days 3650]\n' +
    '       virt-overhead cert collector --name DNS-OR-IP [--name ...] [--dir DIR] [--days 825]\n' +
    '       virt-overhead cert agent --name AGENT-ID [--dir DIR] [--days 825]      (mutual TLS)',
  positionals: true,
  options: [
    { name: 'dir', type: 'path', help: 'where the CA is and the files go (keys 0600; nothing is overwritten)', default: '/etc/virt-overhead/pki' },
    { name: 'name', type: 'multi', help: 'collector: every DNS name and IP address agents dial (subjectAltName); agent: its agent id (the subject CN)' },
    { name: 'days', type: 'int', min: 1, max: 36500, help: 'validity in days (default: CA 3650, others 825)' },
    { name: 'ca-name', type: 'string', help: "ca: the CA's subject CN", default: 'virt-overhead CA' },
  ],
  exitCodes: [OK_EXIT, { ...FAILED_EXIT, meaning: 'openssl failed or is missing (the message says which)' }, USAGE_EXIT],
};

export async function run(argv: string[]): Promise<number> {
  const { values, positionals, help } = await parseOptions(COMMAND, argv);
  if (help) {
    process.stdout.write(formatHelp(COMMAND) + '\n');
    return 0;
  }
  const action = positionals[0] as (typeof ACTIONS)[number];
  if (positionals.length !== 1 || !ACTIONS.includes(action))
    throw new UsageError(`give one action: ${ACTIONS.join(', ')}${positionals.length ? ` (not '${positionals.join(' ')}')` : ''}`);
  const dir = str(values, 'dir');
  const days = values.days !== undefined ? int(values, 'days') : action === 'ca' ? 3650 : 825;
  const names = (values.name as string[] | undefined) ?? [];
  let made: Made;
  if (action === 'ca') made = makeCa({ dir, days, name: str(values, 'ca-name') });
  else if (action === 'collector') made = makeSigned({ dir, days, kind: 'server', names, file: 'collector' });
  else made = makeSigned({ dir, days, kind: 'client', names, file: `agent-${names[0] ?? ''}` });
  process.stdout.write(made.commands.map((c) => `$ ${c}`).join('\n') + '\n');
  process.stdout.write(`wrote ${made.files.join(', ')}\n`);
  if (action === 'ca')
    process.stdout.write(
      `next: virt-overhead cert collector --dir ${dir} --name <the collector's DNS name or IP>; give ${dir}/ca.pem to every agent (--tls-ca)\n`,
    );
  if (action === 'collector')
    process.stdout.write(
      `the collector: --tls-cert ${dir}/collector.pem --tls-key ${dir}/collector.key; agents: --tls-ca ${dir}/ca.pem (a copy on each guest)\n`,
    );
  return 0;
}
