// Network facts both ends of the wire agree on.

/** True for names and addresses that never leave this machine (plaintext is allowed only there). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** HOST:PORT as every address option writes it ([v6]:PORT for IPv6), or why the text is not one. */
export function splitHostPort(text: string): { host: string; port: number } | { error: string } {
  const m = /^(\[[^\]]+\]|[^\s:[\]]+):([^:]*)$/.exec(text.trim());
  if (!m) return { error: `'${text}' is not HOST:PORT (e.g. 127.0.0.1:50051, [::1]:50051)` };
  const port = m[2]!;
  if (!/^\d{1,5}$/.test(port) || Number(port) > 65535) return { error: `'${port}' is not a port (a number from 0 to 65535)` };
  return { host: m[1]!, port: Number(port) };
}
