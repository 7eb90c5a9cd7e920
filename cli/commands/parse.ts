// Placeholder until the parse capability lands; owned by its issue.
export async function run(_argv: string[]): Promise<number> {
  process.stderr.write('virt-overhead parse: not built yet\n');
  return 1;
}
