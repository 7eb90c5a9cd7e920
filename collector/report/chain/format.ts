// The nested-stack section as terminal text and as an HTML fragment (inline SVG: root → L1 →
// L2 as boxes, each arrow labelled with that layer's cost).
import type { ChainLayer, ChainReport, LayerCost } from './build.js';
import { fmtPct, fmtRatio } from '../format.js';
import { escapeHtml } from '../html.js';

function costText(c: LayerCost | null): string {
  if (!c) return '—';
  return c.lowPct !== null && c.highPct !== null ? `${fmtPct(c.overheadPct)} [${fmtPct(c.lowPct)}, ${fmtPct(c.highPct)}]` : fmtPct(c.overheadPct);
}

function checkText(c: ChainLayer['costs'][number]): string {
  if (c.layersRatio === null || !c.whole) return '—';
  const interval = c.layersLow !== null && c.layersHigh !== null ? ` [${fmtRatio(c.layersLow)}, ${fmtRatio(c.layersHigh)}]` : '';
  return `${fmtRatio(c.layersRatio)}${interval} vs ${fmtRatio(c.whole.ratio)}: ${c.agree ? 'agree' : 'DO NOT AGREE (the layers interact or a middle layer changed between runs)'}`;
}

function layerLabel(l: ChainLayer): string {
  const facts = [`virt ${l.virt}`, l.seenDepth !== null ? `sees depth ${l.seenDepth}` : null, l.declaredNesting ? `declared ${l.declaredNesting}` : null]
    .filter(Boolean)
    .join(', ');
  return `L${l.depth} ${l.agent} (${facts})`;
}

function pad(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map(
      (r) =>
        '    ' +
        r
          .map((c, i) => c.padEnd(widths[i]!))
          .join('  ')
          .trimEnd(),
    )
    .join('\n');
}

export function formatChainReport(reports: readonly ChainReport[]): string {
  if (reports.length === 0) return '';
  const out: string[] = ['\nNested stacks: the cost of each layer (against its parent) and of the whole stack (against the root)\n'];
  for (const r of reports) {
    for (const chain of r.chains) {
      out.push(`  group ${r.group}: ${chain.map((l) => l.agent).join(' → ')}`);
      for (const l of chain) out.push(`    ${'  '.repeat(l.depth)}${l.depth ? '└ ' : ''}${layerLabel(l)}`);
      const rows: string[][] = [['layer', 'test', 'metric', 'this layer', 'whole stack', 'Π layers vs whole (ratio)']];
      for (const l of chain.slice(1)) for (const c of l.costs) rows.push([`L${l.depth}`, c.test, c.metric, costText(c.layer), costText(c.whole), checkText(c)]);
      out.push(rows.length > 1 ? pad(rows) : '    (no overhead_chain points yet)');
      out.push('');
    }
    for (const p of r.problems) out.push(`  group ${r.group}: PROBLEM (${p.kind}): ${p.message}`);
    for (const n of r.notes) out.push(`  group ${r.group}: note: ${n}`);
  }
  out.push('  A layer measured from inside includes everything below it (docs/overhead.md "Nested stacks").');
  return out.join('\n') + '\n';
}

/** One chain drawn as boxes root → top, each arrow labelled with the layer's cost for each test. */
function chainSvg(chain: ChainLayer[]): string {
  const boxW = 230;
  const boxH = 54;
  const gapX = 170;
  const tests = [...new Set(chain.flatMap((l) => l.costs.map((c) => c.test)))];
  const height = boxH + 40 + tests.length * 16;
  const width = chain.length * boxW + (chain.length - 1) * gapX + 20;
  const parts: string[] = [];
  chain.forEach((l, i) => {
    const x = 10 + i * (boxW + gapX);
    parts.push(`<rect x="${x}" y="10" width="${boxW}" height="${boxH}" rx="6" class="layer"/>`);
    parts.push(`<text x="${x + 8}" y="30" class="lname">L${l.depth} ${escapeHtml(l.agent)}</text>`);
    parts.push(
      `<text x="${x + 8}" y="48" class="lfacts">virt ${escapeHtml(l.virt)}${l.declaredNesting ? ` · declared ${escapeHtml(l.declaredNesting)}` : ''}</text>`,
    );
    if (i === 0) return;
    const ax = x - gapX + 4;
    parts.push(`<path d="M${ax} ${10 + boxH / 2}H${x - 4}" class="arrow" marker-end="url(#head)"/>`);
    l.costs.forEach((c, j) => {
      parts.push(
        `<text x="${ax}" y="${10 + boxH + 18 + j * 16}" class="cost">${escapeHtml(`${c.test}: ${c.layer ? fmtPct(c.layer.overheadPct) : '—'} (stack ${c.whole ? fmtPct(c.whole.overheadPct) : '—'})`)}</text>`,
      );
    });
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" role="img"><defs><marker id="head" markerWidth="8" markerHeight="8" refX="6" refY="4" orient="auto"><path d="M0 0L8 4L0 8z"/></marker></defs><style>.layer{fill:#eef3f8;stroke:#4e79a7}.lname{font:bold 13px sans-serif}.lfacts,.cost{font:12px sans-serif}.arrow{stroke:#333;stroke-width:1.5}</style>${parts.join('')}</svg>`;
}

export function renderChainHtml(reports: readonly ChainReport[]): string {
  if (reports.length === 0) return '';
  const body: string[] = [
    '<section class="chains"><h2>Nested stacks</h2><p>Each arrow: the cost of that layer against the one it runs on; in brackets, the whole stack against the root. A layer measured from inside includes everything below it.</p>',
  ];
  for (const r of reports) {
    for (const chain of r.chains) {
      body.push(`<h3>group ${escapeHtml(r.group)}: ${escapeHtml(chain.map((l) => l.agent).join(' → '))}</h3>`, chainSvg(chain));
      const rows = chain
        .slice(1)
        .flatMap((l) =>
          l.costs.map(
            (c) =>
              `<tr><td>L${l.depth}</td><td>${escapeHtml(c.test)}</td><td>${escapeHtml(c.metric)}</td><td>${escapeHtml(costText(c.layer))}</td><td>${escapeHtml(costText(c.whole))}</td><td>${escapeHtml(checkText(c))}</td></tr>`,
          ),
        );
      body.push(
        `<table><tr><th>layer</th><th>test</th><th>metric</th><th>this layer</th><th>whole stack</th><th>Π layers vs whole (ratio)</th></tr>${rows.join('')}</table>`,
      );
    }
    for (const p of r.problems) body.push(`<p class="problem">group ${escapeHtml(r.group)}: problem (${p.kind}): ${escapeHtml(p.message)}</p>`);
    for (const n of r.notes) body.push(`<p class="note">group ${escapeHtml(r.group)}: note: ${escapeHtml(n)}</p>`);
  }
  body.push('</section>');
  return body.join('\n');
}
