// Human-readable summary of a Detection (the JSON is the machine form).
import type { Detection } from './types.js';

export function formatDetection(d: Detection): string {
  const lines = [
    `virt:       ${d.virt}`,
    `container:  ${d.container}`,
    `kvm:        ${d.kvm.verdict} (level ${d.kvm.level}${d.kvm.provider ? `, by ${d.kvm.provider}` : ''}) — ${d.kvm.reason}`,
    `cpuid:      ${d.cpuid_signatures.length ? d.cpuid_signatures.map((s) => JSON.stringify(s)).join(', ') : '(no signature)'}`,
    `nesting:    at least ${d.nested.min_depth} layer(s) seen${d.nested.hardware_virt_flag ? `; CPU offers ${d.nested.hardware_virt_flag}` : ''}${d.nested.declared ? `; declared: ${d.nested.declared}` : ''}`,
  ];
  if (d.virt_candidates.length > 1)
    lines.push(
      `also named:  ${d.virt_candidates
        .slice(1)
        .map((c) => `${c.virt} (${c.signals.join(', ')})`)
        .join('; ')}`,
    );
  const declared = Object.entries(d.declared);
  if (declared.length) lines.push(`declared:   ${declared.map(([k, v]) => `${k}=${v}`).join(', ')}`);
  lines.push('', 'evidence:');
  const width = Math.min(48, Math.max(...d.evidence.map((e) => e.signal.length)));
  for (const e of d.evidence) lines.push(`  ${e.signal.padEnd(width)}  ${e.value}  →  ${e.says}`);
  return lines.join('\n');
}
