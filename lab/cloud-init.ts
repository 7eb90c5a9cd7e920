// The cloud-init sample (deploy/cloud-init/agent.yaml) with one guest's values filled in, the
// way an operator's templating would: only the @VO_...@ placeholders change, so what the lab
// boots is the sample as shipped.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../lib/root.js';

export const CLOUD_INIT_SAMPLE = join(packageRoot(), 'deploy', 'cloud-init', 'agent.yaml');

export interface CloudInitValues {
  /** HOST:PORT as the guest dials it (and the collector's certificate names). */
  collector: string;
  agentId: string;
  group: string;
  variant: string;
  /** What `virt-overhead token add` printed for agentId. */
  token: string;
  /** The collector's CA (PEM); undefined: --allow-plaintext, and the ca.pem entry removed, as the sample says. */
  caPem?: string;
}

/** Every placeholder the sample holds, e.g. ['@VO_AGENT_ID@', ...]. */
export function placeholders(text: string): string[] {
  return [...new Set(text.match(/@VO_[A-Z_]+@/g) ?? [])].sort();
}

/** The sample's text with `v` filled in; a placeholder the sample has and `v` does not fill is an error. */
export function fillCloudInit(v: CloudInitValues, text = readFileSync(CLOUD_INIT_SAMPLE, 'utf8')): string {
  let out = text;
  if (v.caPem === undefined) {
    out = out.replace(/^(\s*)VO_TLS=.*$/m, '$1VO_TLS=--allow-plaintext');
    // The ca.pem entry, from its comment to the next entry.
    out = out.replace(/(?:^ {2}# .*\n)*^ {2}- path: \/etc\/virt-overhead\/ca\.pem\n(?:^ {4}.*\n)+/m, '');
  } else {
    const pem = v.caPem.trim();
    out = out.replace(/^( *)@VO_CA_PEM@$/m, (_, indent: string) => pem.replace(/^/gm, indent));
  }
  const values: Record<string, string> = {
    '@VO_COLLECTOR@': v.collector,
    '@VO_AGENT_ID@': v.agentId,
    '@VO_GROUP@': v.group,
    '@VO_VARIANT@': v.variant,
    '@VO_TOKEN@': v.token,
  };
  for (const [k, value] of Object.entries(values)) out = out.split(k).join(value);
  const left = placeholders(out);
  if (left.length) throw new Error(`the cloud-init sample has placeholders this lab does not fill: ${left.join(' ')}`);
  return out;
}
