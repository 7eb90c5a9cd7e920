// The agent installer, run for real into a fresh root made by this test (deploy/install-agent.sh
// --root): files, unit and config it wrote, a second run that changes nothing, uninstall that
// leaves nothing. Also: `npm pack` installs into a clean prefix and runs `virt-overhead --help`.
//
// The one stand-in: `apt-get`. A real apt-get cannot install into an empty root offline (no
// package lists, no archive), so a stub placed first on PATH records its arguments and drops a
// sysbench launcher into the root. Everything else is the real thing: the real package built
// and packed from this tree, real npm, real systemctl --root, real systemd-analyze.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..');
const INSTALLER = join(REPO, 'deploy', 'install-agent.sh');
const VERSION = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;

function which(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
}
const HAVE_SYSTEMCTL = which('systemctl');
const HAVE_ANALYZE = which('systemd-analyze');

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}
function ok(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} exited ${r.status}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  return r.stdout;
}

/** Every entry under dir: path, type, mode, link target and content hash. Order-independent. */
function treeListing(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(join(dir, r));
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) out.push(`${r} l ${readlinkSync(join(dir, r))}`);
      else if (st.isDirectory()) {
        out.push(`${r} d ${mode}`);
        walk(r);
      } else
        out.push(
          `${r} f ${mode} ${createHash('sha256')
            .update(readFileSync(join(dir, r)))
            .digest('hex')}`,
        );
    }
  };
  walk('');
  return out;
}
const treeHash = (dir: string): string => createHash('sha256').update(treeListing(dir).join('\n')).digest('hex');

let work: string;
let tarball: string;
let projectCopy: string;

/** A copy of this working tree (tracked and new files, not ignored ones), built and packed. */
function buildAndPack(): void {
  projectCopy = join(work, 'project');
  const files = ok(run('git', ['ls-files', '-co', '--exclude-standard'], { cwd: REPO }), 'git ls-files')
    .split('\n')
    .filter(Boolean);
  for (const f of files) {
    if (!existsSync(join(REPO, f))) continue; // deleted in the work tree
    mkdirSync(dirname(join(projectCopy, f)), { recursive: true });
    cpSync(join(REPO, f), join(projectCopy, f));
  }
  // A real node_modules (hard links where the file system allows, else a copy): npm pack bundles
  // the production dependencies from it, and a symlinked one would be packed as ../ paths.
  const links = run('cp', ['-al', join(REPO, 'node_modules'), join(projectCopy, 'node_modules')]);
  if (links.status !== 0) ok(run('cp', ['-R', join(REPO, 'node_modules'), join(projectCopy, 'node_modules')]), 'cp node_modules');
  // Type errors are the typecheck's business (others' work in progress may have some); tsc
  // still emits, and this test is about packaging what it emits.
  run('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: projectCopy });
  ok(run('node', ['scripts/postbuild.mjs'], { cwd: projectCopy }), 'postbuild');
  ok(run('npm', ['pack', '--ignore-scripts', '--pack-destination', work], { cwd: projectCopy }), 'npm pack');
  tarball = join(work, `virt-overhead-${VERSION}.tgz`);
  expect(existsSync(tarball)).toBe(true);
}

/** The minimal tree of a Debian-like root: what systemctl --root and systemd-analyze need. */
function freshRoot(name: string): string {
  const root = join(work, name);
  for (const d of ['etc/systemd/system', 'usr/bin', 'usr/local/bin', 'opt', 'var/lib']) mkdirSync(join(root, d), { recursive: true });
  if (existsSync('/usr/lib/systemd/system'))
    cpSync('/usr/lib/systemd/system', join(root, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true });
  return root;
}

let emptyCache: string;
let stubDir: string;
let stubLog: string;
function stubEnv(): NodeJS.ProcessEnv {
  return { ...process.env, PATH: `${stubDir}:${process.env.PATH}`, STUB_LOG: stubLog, npm_config_cache: emptyCache };
}
function installer(args: string[]): SpawnSyncReturns<string> {
  return run('sh', [INSTALLER, ...args, ...(HAVE_SYSTEMCTL ? [] : ['--no-enable'])], { env: stubEnv(), cwd: work });
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'vo-deploy-'));
  emptyCache = join(work, 'empty-npm-cache');
  mkdirSync(emptyCache);
  stubDir = join(work, 'stub-bin');
  stubLog = join(work, 'apt-get.log');
  mkdirSync(stubDir);
  // apt-get stand-in: logs its arguments; "install" drops a sysbench launcher into RootDir,
  // "purge" removes it.
  writeFileSync(
    join(stubDir, 'apt-get'),
    `#!/bin/sh
echo "$*" >> "$STUB_LOG"
root=
for a; do case $a in RootDir=*) root=\${a#RootDir=} ;; esac; done
case " $* " in
  *" install "*) printf '#!/bin/sh\\nexec /usr/bin/sysbench "$@"\\n' > "$root/usr/bin/sysbench"; chmod 755 "$root/usr/bin/sysbench" ;;
  *" purge "*) rm -f "$root/usr/bin/sysbench" ;;
esac
`,
  );
  chmodSync(join(stubDir, 'apt-get'), 0o755);
  buildAndPack();
  if (!HAVE_SYSTEMCTL) console.warn('systemctl not found: installing with --no-enable, unit enablement not checked (apt-get install systemd)');
  // A whole tsc build and npm pack: past the 2 minutes of the default hook timeout at load 20.
}, 600_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('npm pack', () => {
  it('installs into a clean prefix offline and runs virt-overhead --help', () => {
    const prefix = join(work, 'prefix');
    // An empty npm cache, as on a fresh machine or an offline guest: the tarball must carry
    // its production dependencies (bundleDependencies), nothing may come from a cache.
    const env = { ...process.env, npm_config_cache: emptyCache };
    ok(run('npm', ['install', '-g', '--prefix', prefix, tarball, '--offline', '--no-audit', '--no-fund'], { cwd: work, env }), 'npm install -g');
    const help = run(join(prefix, 'bin', 'virt-overhead'), ['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('usage: virt-overhead <command>');
    expect(help.stdout).toMatch(/^\s+agent\s/m);
    const version = run(join(prefix, 'bin', 'virt-overhead'), ['--version']);
    // The packed dist/ carries what its build baked in (lib/version.ts): this copy has no .git,
    // so its build cannot know the commit and says so.
    expect(version.stdout.trim()).toBe(`virt-overhead ${VERSION} (commit unknown)`);
    // What the package must carry for the installer and the collector at run time.
    const pkg = join(prefix, 'lib', 'node_modules', 'virt-overhead');
    expect(existsSync(join(pkg, 'node_modules/@grpc/grpc-js/package.json'))).toBe(true);
    expect(existsSync(join(pkg, 'node_modules/vitest'))).toBe(false);
    for (const f of [
      'proto/virtoverhead.proto',
      'deploy/install-agent.sh',
      'deploy/systemd/virt-overhead-agent.service',
      'deploy/systemd/virt-overhead-collector.service',
      'dist/cli/main.js',
    ]) {
      expect(existsSync(join(pkg, f)), f).toBe(true);
    }
  });
});

describe('install-agent.sh into a fresh root', () => {
  let root: string;
  let emptyListing: string[];
  const args = () => [
    '--root',
    root,
    '--from',
    tarball,
    '--collector',
    '10.0.2.2:50051',
    '--token',
    's3cret-token',
    '--group',
    'lab-a',
    '--variant',
    'kvm-virtio',
  ];

  beforeAll(() => {
    root = freshRoot('root');
    emptyListing = treeListing(root);
  });

  it('--dry-run prints the plan and changes nothing', () => {
    const r = installer([...args(), '--dry-run']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('would run: apt-get');
    expect(r.stdout).toContain('would write /etc/virt-overhead/agent.yaml');
    expect(r.stdout).toContain('dry run: nothing was changed');
    expect(treeListing(root)).toEqual(emptyListing);
    expect(existsSync(stubLog)).toBe(false);
  });

  it('installs sysbench, the package, config, token, unit and enables it', () => {
    const r = installer(args());
    expect(r.status, r.stdout + r.stderr).toBe(0);
    // apt-get was asked for sysbench inside the root, not on this machine.
    expect(readFileSync(stubLog, 'utf8')).toBe(`-y -q -o RootDir=${root} --no-install-recommends install sysbench\n`);

    const config = parseYaml(readFileSync(join(root, 'etc/virt-overhead/agent.yaml'), 'utf8'));
    expect(config).toEqual({
      collector: '10.0.2.2:50051',
      group: 'lab-a',
      role: 'guest',
      variant: 'kvm-virtio',
      profile: 'seed',
      interval: '6h',
      jitter: '10m',
      token_file: '/etc/virt-overhead/token',
      workdir: '/var/lib/virt-overhead',
    });
    const token = join(root, 'etc/virt-overhead/token');
    expect(readFileSync(token, 'utf8')).toBe('s3cret-token\n');
    expect(statSync(token).mode & 0o777).toBe(0o600);

    const unit = readFileSync(join(root, 'etc/systemd/system/virt-overhead-agent.service'), 'utf8');
    expect(unit).toBe(readFileSync(join(REPO, 'deploy/systemd/virt-overhead-agent.service'), 'utf8'));
    const dropin = readFileSync(join(root, 'etc/systemd/system/virt-overhead-agent.service.d/token.conf'), 'utf8');
    expect(dropin).toContain('LoadCredential=token:/etc/virt-overhead/token\n');
    expect(dropin).toContain('Environment=VIRT_OVERHEAD_AGENT_TOKEN_FILE=/run/credentials/%n/token');
    if (HAVE_SYSTEMCTL) {
      // Timer mode, the default: the timer is enabled, the service only started by it.
      expect(readlinkSync(join(root, 'etc/systemd/system/timers.target.wants/virt-overhead-agent.timer'))).toBe(
        '/etc/systemd/system/virt-overhead-agent.timer',
      );
      expect(existsSync(join(root, 'etc/systemd/system/multi-user.target.wants/virt-overhead-agent.service'))).toBe(false);
    }
    expect(readlinkSync(join(root, 'usr/local/bin/virt-overhead'))).toBe('/opt/virt-overhead/bin/virt-overhead');
    const wrapper = readFileSync(join(root, 'opt/virt-overhead/bin/virt-overhead'), 'utf8');
    expect(wrapper).toContain(`exec "${process.execPath}" "/opt/virt-overhead/lib/dist/cli/main.js" "$@"`);
    expect(statSync(join(root, 'opt/virt-overhead/bin/virt-overhead')).mode & 0o777).toBe(0o755);
    expect(existsSync(join(root, 'usr/bin/sysbench'))).toBe(true);
    // Production dependencies only.
    expect(existsSync(join(root, 'opt/virt-overhead/lib/node_modules/@grpc/grpc-js/package.json'))).toBe(true);
    expect(existsSync(join(root, 'opt/virt-overhead/lib/node_modules/typescript'))).toBe(false);
  });

  it('the installed agent runs, and accepts the config file the installer wrote', () => {
    const main = join(root, 'opt/virt-overhead/lib/dist/cli/main.js');
    const help = run(process.execPath, [main, '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('usage: virt-overhead <command>');
    // The option parser reads --config before --help and rejects unknown keys: so every key
    // the installer wrote is one the agent knows.
    const agentHelp = run(process.execPath, [main, 'agent', '--config', join(root, 'etc/virt-overhead/agent.yaml'), '--help']);
    expect(agentHelp.stderr).toBe('');
    expect(agentHelp.status).toBe(0);
  });

  it.skipIf(!HAVE_ANALYZE)('systemd-analyze verify passes on the installed unit and drop-in', () => {
    const r = run('systemd-analyze', ['verify', `--root=${root}`, 'virt-overhead-agent.service', 'virt-overhead-agent.timer']);
    const ours = (r.stdout + r.stderr).split('\n').filter((l) => l.includes('virt-overhead'));
    expect(ours).toEqual([]);
    expect(r.status).toBe(0);
  });

  it('running it again changes nothing', () => {
    const before = treeHash(root);
    const again = installer(['--root', root, '--from', tarball]);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain('nothing changed');
    expect(treeHash(root)).toBe(before);
    // Same values passed again: still nothing.
    const same = installer(args());
    expect(same.status, same.stderr).toBe(0);
    expect(treeHash(root)).toBe(before);
    expect(readFileSync(stubLog, 'utf8').split('\n').filter(Boolean)).toHaveLength(1); // sysbench installed once
  });

  it('a re-run with a new value changes that value and keeps the rest', () => {
    const r = installer(['--root', root, '--from', tarball, '--variant', 'tcg']);
    expect(r.status, r.stderr).toBe(0);
    const config = parseYaml(readFileSync(join(root, 'etc/virt-overhead/agent.yaml'), 'utf8')) as Record<string, string>;
    expect(config.variant).toBe('tcg');
    expect(config.group).toBe('lab-a');
    expect(config.collector).toBe('10.0.2.2:50051');
  });

  it('--uninstall removes everything it added, sysbench included', () => {
    const dry = installer(['--root', root, '--uninstall', '--dry-run']);
    expect(dry.status, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('would remove /opt/virt-overhead');
    expect(existsSync(join(root, 'opt/virt-overhead'))).toBe(true);

    // State the service would have made: the spool with an unsent result.
    mkdirSync(join(root, 'var/lib/virt-overhead/spool'), { recursive: true });
    writeFileSync(join(root, 'var/lib/virt-overhead/spool/000001.json'), '{}');
    const r = installer(['--root', root, '--uninstall']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('discarding unsent results');
    expect(readFileSync(stubLog, 'utf8')).toContain(`-y -q -o RootDir=${root} purge sysbench`);
    expect(treeListing(root)).toEqual(emptyListing);
  });
});

describe('install-agent.sh from a built project copy', () => {
  it('installs production dependencies only and the agent runs', () => {
    const root = freshRoot('root-project');
    mkdirSync(join(root, 'usr/bin'), { recursive: true });
    writeFileSync(join(root, 'usr/bin/sysbench'), '#!/bin/sh\n', { mode: 0o755 }); // already there: no apt-get
    const before = treeListing(root);
    const r = installer(['--root', root, '--from', projectCopy, '--collector', '127.0.0.1:50051', '--role', 'baseline']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).not.toContain('apt-get');
    expect(existsSync(join(root, 'opt/virt-overhead/lib/node_modules/yaml/package.json'))).toBe(true);
    expect(existsSync(join(root, 'opt/virt-overhead/lib/node_modules/vitest'))).toBe(false);
    // The source's own node_modules (hard links to the shared one) was not pruned.
    expect(existsSync(join(REPO, 'node_modules/vitest/package.json'))).toBe(true);
    const help = run(process.execPath, [join(root, 'opt/virt-overhead/lib/dist/cli/main.js'), '--help']);
    expect(help.status).toBe(0);
    expect((parseYaml(readFileSync(join(root, 'etc/virt-overhead/agent.yaml'), 'utf8')) as Record<string, string>).role).toBe('baseline');
    const un = installer(['--root', root, '--uninstall']);
    expect(un.status, un.stderr).toBe(0);
    expect(un.stdout).not.toContain('purge'); // sysbench was not ours
    expect(treeListing(root)).toEqual(before);
  });
});

describe('install-agent.sh refuses bad input with a clear message', () => {
  it('needs --collector on a first install', () => {
    const r = installer(['--root', freshRoot('root-nocollector'), '--from', tarball]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('--collector HOST:PORT is required');
  });
  it('rejects a bad role, a bad address and unknown options', () => {
    const root = freshRoot('root-bad');
    expect(installer(['--root', root, '--collector', 'x:1', '--role', 'host']).stderr).toContain("--role must be baseline or guest, not 'host'");
    expect(installer(['--root', root, '--collector', 'nohostport']).stderr).toContain('--collector must be HOST:PORT');
    expect(installer(['--root', root, '--colector', 'x:1']).stderr).toContain("unknown option '--colector'");
  });
  it('says what to do when Node.js is too old', () => {
    // A Node 18 cannot be installed next to this one: a script answering like one stands in.
    const old = join(work, 'node18');
    writeFileSync(old, '#!/bin/sh\necho 18.19.0\n', { mode: 0o755 });
    const r = installer(['--root', freshRoot('root-oldnode'), '--from', tarball, '--collector', 'x:1', '--node', old]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`Node.js 18.19.0 at ${old} is too old`);
    expect(r.stderr).toContain('https://nodejs.org/dist/');
    expect(r.stderr).toContain('--node /path/to/bin/node');
  });
});
