// Number formatting shared by the terminal table and the HTML report.
export function fmtNum(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a >= 10_000) return v.toFixed(0);
  if (a >= 100) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  if (a === 0) return '0';
  return v.toPrecision(3);
}

export function fmtRatio(v: number): string {
  return Math.abs(v) >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toPrecision(3);
}

export function fmtPct(v: number): string {
  const s = Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1);
  return (v > 0 ? '+' : '') + s + '%';
}

export function fmtP(p: number): string {
  return p < 0.001 ? '<0.001' : p.toFixed(3);
}

export function directionText(direction: 'higher' | 'lower'): string {
  return direction === 'higher' ? 'higher is better' : 'lower is better';
}

export function sectionTitle(s: { test: string; group: string; profile: string; threads: number | null }): string {
  return `${s.test} · group ${s.group} · profile ${s.profile}${s.threads !== null ? ` · ${s.threads} thread${s.threads === 1 ? '' : 's'}` : ''}`;
}

/** Half width of an interval; rounding noise of identical trials (1e-17) shows as 0. */
export function fmtHalfWidth(mean: number, low: number, high: number): string {
  const h = (high - low) / 2;
  return h <= 1e-9 * Math.abs(mean) ? '0' : fmtNum(h);
}
