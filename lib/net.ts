// Network facts both ends of the wire agree on.

/** True for names and addresses that never leave this machine (plaintext is allowed only there). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}
