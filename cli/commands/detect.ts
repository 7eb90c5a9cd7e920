// virt-overhead detect [--json] [--root DIR] [--declare KEY=VALUE ...]
import { detect, parseDeclared } from '../../agent/detect/index.js';
import { formatDetection } from '../../agent/detect/format.js';
import { OK_EXIT, USAGE_EXIT, formatHelp, optStr, parseOptions, type CommandSpec } from '../../lib/options.js';
import { inertJson, inertOutput } from '../../lib/inert.js';

export const COMMAND: CommandSpec = {
  name: 'detect',
  usage: 'usage: virt-overhead detect [--json] [--root DIR] [--declare KEY=VALUE ...]',
  options: [
    { name: 'json', type: 'boolean', help: 'print the detection as JSON (the form the agent sends)', default: false },
    // A root that does not exist would read as "no virtualization": refused instead.
    { name: 'root', type: 'path', exists: 'dir', help: 'read /proc, /sys, /dev under this directory (a captured fixture tree)', default: '/' },
    { name: 'declare', type: 'multi', help: 'a fact detection cannot know, KEY=VALUE (repeatable), e.g. nesting="L2 inside VMware"' },
    { name: 'no-systemd-detect-virt', type: 'boolean', help: 'do not ask systemd-detect-virt', default: false },
  ],
  exitCodes: [{ ...OK_EXIT, meaning: 'detected (whatever was found, including none)' }, USAGE_EXIT],
};

export async function run(argv: string[]): Promise<number> {
  const { values, help } = await parseOptions(COMMAND, argv);
  if (help) {
    process.stdout.write(formatHelp(COMMAND) + '\n');
    return 0;
  }
  const declared = parseDeclared((values.declare as string[] | undefined) ?? []);
  const d = await detect({ root: optStr(values, 'root') ?? '/', declared, runSystemdDetectVirt: values['no-systemd-detect-virt'] !== true });
  // What the machine reports (DMI strings, cpuid, the kernel's words) is printed inert (lib/inert.ts).
  process.stdout.write((values.json === true ? inertJson(d, 2) : inertOutput(formatDetection(d))) + '\n');
  return 0;
}
