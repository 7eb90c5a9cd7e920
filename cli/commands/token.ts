// virt-overhead token add|revoke|list: enrolment. Edits the collector's tokens file
// (collector/server/token-file.ts: locked, written whole and renamed, 0600), prints a new
// token once with the guest's install line, and makes the running collector use the file
// when asked (--reload).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { addToken, listTokens, revokeTokens } from '../../collector/server/token-file.js';
import type { TokenEntry } from '../../collector/server/tokens.js';
import { UsageError } from '../../lib/errors.js';
import { USAGE_EXIT, OK_EXIT, FAILED_EXIT, formatHelp, int, optStr, parseOptions, str, type CommandSpec, type OptionValues } from '../../lib/options.js';

const ACTIONS = ['add', 'revoke', 'list'] as const;

export const COMMAND: CommandSpec = {
  name: 'token',
  usage:
    'usage: virt-overhead token add --agent ID --group G [--role guest|baseline] [--collector HOST:PORT] [--reload]\n' +
    '       virt-overhead token revoke --agent ID [--reload]\n' +
    '       virt-overhead token list [--json]',
  positionals: true,
  options: [
    { name: 'tokens', type: 'path', help: "the collector's tokens file (created by the first add)", default: '/etc/virt-overhead/tokens.yaml' },
    { name: 'agent', type: 'string', help: 'agent id the token stands for (the agent sends it as --agent-id; default there: its hostname)' },
    { name: 'group', type: 'string', help: 'add: the group the agent writes to' },
    { name: 'role', type: 'enum', values: ['guest', 'baseline'], help: 'add: the role it may claim', default: 'guest' },
    { name: 'host', type: 'string', help: 'add: bind the token to this host name too' },
    { name: 'variant', type: 'string', help: 'add: bind the token to this variant too' },
    { name: 'collector', type: 'string', help: "add: the collector's HOST:PORT as guests dial it, for the printed install line" },
    { name: 'guest-ca', type: 'string', help: "add: where the guest keeps the collector's CA, for the install line", default: '/etc/virt-overhead/ca.pem' },
    { name: 'allow-plaintext', type: 'boolean', help: 'add: the install line uses --allow-plaintext instead of TLS (lab networks)', default: false },
    { name: 'reload', type: 'boolean', help: 'then make the running collector use the file: SIGHUP to --pid/--pid-file, else restart --unit', default: false },
    { name: 'pid', type: 'int', min: 1, help: "with --reload: the collector's process id" },
    { name: 'pid-file', type: 'path', help: "with --reload: a file holding the collector's process id" },
    { name: 'unit', type: 'string', help: 'with --reload and no pid: the systemd unit to restart', default: 'virt-overhead-collector' },
    { name: 'json', type: 'boolean', help: 'print JSON (list; add: the token and the install line)', default: false },
  ],
  exitCodes: [OK_EXIT, { ...FAILED_EXIT, meaning: 'the file was changed but the collector could not be reloaded, or another edit held the lock' }, USAGE_EXIT],
};

/** A value for a POSIX shell line: bare when it is plain, single-quoted otherwise. */
function shellWord(v: string): string {
  return /^[\w./:@%+=,-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`;
}

function installLine(values: OptionValues, agent: string, group: string, token: string): string {
  const args: [string, string | null][] = [
    ['--collector', optStr(values, 'collector') ?? 'COLLECTOR-HOST:50051'],
    values['allow-plaintext'] === true ? ['--allow-plaintext', null] : ['--tls-ca', str(values, 'guest-ca')],
    ['--agent-id', agent],
    ['--group', group],
    ['--role', str(values, 'role')],
    ...(optStr(values, 'variant') ? ([['--variant', optStr(values, 'variant')!]] as [string, string][]) : []),
    ['--token', token],
  ];
  return ['sudo sh install-agent.sh', ...args.map(([k, v]) => (v === null ? k : `${k} ${shellWord(v)}`))].join(' ');
}

/** SIGHUP to the collector's pid; under systemd without a pid, a restart (its credentials are fixed while it runs). */
function reload(values: OptionValues): string {
  const pidFile = optStr(values, 'pid-file');
  const pid = values.pid !== undefined ? int(values, 'pid') : pidFile ? Number(readFileSync(pidFile, 'utf8').trim()) : undefined;
  if (pid !== undefined) {
    if (!Number.isInteger(pid) || pid <= 0) throw new UsageError(`--pid-file ${pidFile}: holds no process id`);
    process.kill(pid, 'SIGHUP');
    return `sent SIGHUP to the collector (pid ${pid}): it reloads the tokens file`;
  }
  const unit = str(values, 'unit');
  try {
    execFileSync('systemctl', ['restart', unit], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
    throw new Error(
      `could not reload the collector: ${e.code === 'ENOENT' ? 'no systemctl here' : e.stderr?.toString().trim() || e.message}; give --pid or --pid-file`,
    );
  }
  // LoadCredential= copies are made at start (systemd.io/CREDENTIALS): a reload would re-read the old copy.
  return `restarted ${unit}: systemd hands it the tokens file as a credential, fixed while it runs; agents reconnect and send what they spooled`;
}

function describe(e: TokenEntry): Record<string, string> {
  return {
    agent: e.agent,
    group: e.group,
    roles: (e.roles ?? ['guest']).join(','),
    kind: e.certificate !== undefined ? 'certificate' : e.token !== undefined ? 'token (plain: re-issue it to keep only a digest)' : 'token sha256',
    ...(e.host ? { host: e.host } : {}),
    ...(e.variant ? { variant: e.variant } : {}),
    ...(e.certificate ? { certificate: e.certificate } : {}),
  };
}

export async function run(argv: string[]): Promise<number> {
  const { values, positionals, help } = await parseOptions(COMMAND, argv);
  if (help) {
    process.stdout.write(formatHelp(COMMAND) + '\n');
    return 0;
  }
  const action = positionals[0];
  if (positionals.length !== 1 || !(ACTIONS as readonly string[]).includes(action!))
    throw new UsageError(`give one action: ${ACTIONS.join(', ')}${positionals.length ? ` (not '${positionals.join(' ')}')` : ''}`);
  const path = str(values, 'tokens');
  const json = values.json === true;
  const need = (name: string): string => {
    const v = optStr(values, name);
    if (v === undefined) throw new UsageError(`token ${action} needs --${name}`);
    return v;
  };
  if (action === 'list') {
    const rows = listTokens(path).map(describe);
    process.stdout.write(
      json
        ? JSON.stringify(rows, null, 2) + '\n'
        : rows
            .map((r) =>
              Object.entries(r)
                .map(([k, v]) => `${k}=${v}`)
                .join('  '),
            )
            .join('\n') + (rows.length ? '\n' : ''),
    );
    return 0;
  }
  let said: Record<string, unknown>;
  if (action === 'add') {
    const agent = need('agent');
    const group = need('group');
    const role = str(values, 'role') as 'guest' | 'baseline';
    const { token } = addToken(path, { agent, group, roles: [role], host: optStr(values, 'host'), variant: optStr(values, 'variant') });
    const install = installLine(values, agent, group, token);
    said = { agent, group, role, tokens: path, token, install };
    if (!json)
      process.stdout.write(
        `added agent '${agent}' (group '${group}', role ${role}) to ${path}; the file keeps only the token's sha256, so it is shown this once:\n` +
          `  ${token}\n` +
          `install on the guest (the release folder: the agent files, install-agent.sh, systemd/; the collector's CA at ${str(values, 'guest-ca')}):\n` +
          `  ${install}\n`,
      );
  } else {
    const agent = need('agent');
    const gone = revokeTokens(path, agent);
    said = { agent, tokens: path, revoked: gone.length };
    if (!json) process.stdout.write(`revoked ${gone.length} token${gone.length === 1 ? '' : 's'} of agent '${agent}' in ${path}\n`);
  }
  if (values.reload === true) {
    const how = reload(values);
    said.reload = how;
    if (!json) process.stdout.write(how + '\n');
  } else if (!json) process.stdout.write('a collector reading this file picks the change up within seconds (it watches it); --reload: at once\n');
  if (json) process.stdout.write(JSON.stringify(said, null, 2) + '\n');
  return 0;
}
