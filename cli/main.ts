#!/usr/bin/env node
// virt-overhead: one program, one subcommand per capability (cli/commands.ts). Before the
// command it takes --no-color and -V/--version; `version` is a command of its own.
import { UsageError } from '../lib/errors.js';
import { COMMANDS } from './commands.js';
import { disableColor } from './color.js';
import { inertOutput } from '../lib/inert.js';
import { redactSecrets } from '../lib/secret-file.js';

/** Every command's error message: no credential in it (an InfluxDB URL's password), nothing that drives the terminal. */
const shown = (text: string): string => inertOutput(redactSecrets(text));

function usage(): string {
  const lines = [
    'usage: virt-overhead <command> [options]',
    '       virt-overhead --no-color <command> [options]    (no colours, as with NO_COLOR=1)',
    '       virt-overhead -V | --version | version',
    '',
    'Commands:',
  ];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(12)} ${c.summary}`);
  lines.push(`  ${'version'.padEnd(12)} print the version and the commit it was built from`);
  lines.push('', "Run 'virt-overhead <command> --help' for a command's options and exit status.");
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  // --no-color anywhere is the program's, not a command's: it means NO_COLOR (no-color.org) for this run.
  if (argv.includes('--no-color')) disableColor();
  const [name, ...rest] = argv.filter((a) => a !== '--no-color');
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-V' || name === 'version') {
    const { versionLine } = await import('../lib/version.js');
    process.stdout.write(versionLine() + '\n');
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`virt-overhead: unknown command '${name}'\n\n${usage()}\n`);
    return 2;
  }
  try {
    return await (await command.load()).run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`virt-overhead ${name}: ${shown(err.message)}\n(see 'virt-overhead ${name} --help')\n`);
      return 2;
    }
    process.stderr.write(`virt-overhead ${name}: ${shown((err as Error).message)}\n`);
    return 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`virt-overhead: ${shown((err as Error).stack ?? String(err))}\n`);
    process.exitCode = 1;
  },
);
