// bench/markdown.ts: a section run again with --only replaces its figures, its goal rows and
// its earlier "Rerun" line in docs/BENCHMARKS.md.
import { expect, it } from 'vitest';
import { mergeMarkdown, renderMarkdown } from '../bench/markdown.js';

const doc = (head: string, sections: Array<[string, string]>) =>
  [
    '# Benchmarks',
    '',
    head,
    '',
    '## Goals',
    '',
    '| figure | value | goal | |',
    '|---|---:|---|---|',
    ...sections.map(([t, v]) => `| ${t}: x | ${v} | ≤ 1 | **met** |`),
    '',
    ...sections.flatMap(([t, v]) => [`## ${t}`, '', `figure ${v}`, '']),
  ].join('\n');

it('keeps only the rerun lines that still describe figures in the file', () => {
  let md = doc('- Date: 2026-01-01T00:00:00.000Z', [
    ['A', '1'],
    ['B: with a colon', '2'],
  ]);
  md = mergeMarkdown(md, doc('- Date: 2026-01-02T10:00:00.000Z', [['A', '3']]));
  md = mergeMarkdown(md, doc('- Date: 2026-01-03T10:00:00.000Z (whole run 61 s)', [['B: with a colon', '4']]));
  md = mergeMarkdown(md, doc('- Date: 2026-01-04T10:00:00.000Z', [['A', '5']]));
  expect(md.split('\n').filter((l) => l.startsWith('- Rerun'))).toEqual([
    '- Rerun with --only on 2026-01-03T10:00:00.000Z (whole run 61 s): B: with a colon (the other sections are from the date above)',
    '- Rerun with --only on 2026-01-04T10:00:00.000Z: A (the other sections are from the date above)',
  ]);
  expect(md).toContain('| A: x | 5 |');
  expect(md).toContain('| B: with a colon: x | 4 |');
  expect(md).toContain('figure 5');
  expect(md).not.toContain('figure 3');
  expect(md).toContain('- Date: 2026-01-01T00:00:00.000Z');
  md = mergeMarkdown(md, doc('- Date: 2026-01-05T10:00:00.000Z (whole run 9 s)', [['B: with a colon', '6']]));
  expect(md.split('\n').filter((l) => l.startsWith('- Rerun'))).toEqual([
    '- Rerun with --only on 2026-01-04T10:00:00.000Z: A (the other sections are from the date above)',
    '- Rerun with --only on 2026-01-05T10:00:00.000Z (whole run 9 s): B: with a colon (the other sections are from the date above)',
  ]);
});

it('leaves the file as it was when every section asked for failed (no empty "Rerun" line)', () => {
  const md = doc('- Date: 2026-01-01T00:00:00.000Z', [['A', '1']]);
  expect(mergeMarkdown(md, doc('- Date: 2026-01-02T10:00:00.000Z (whole run 878 s)', []))).toBe(md.trimEnd());
});

it("shows a goal the noise leaves undecided as 'not shown', apart from met and NOT met", () => {
  const md = renderMarkdown({
    date: new Date('2026-01-01T00:00:00Z'),
    machine: { cpuModel: 'x', cores: 2, memoryGiB: 4, kernel: '6', node: '20', loadavg: [0, 0, 0] },
    loadEnd: [0, 0, 0],
    durationS: 1,
    sections: [
      {
        title: 'S',
        method: 'm',
        results: [
          { name: 'a', value: 1, unit: 'ratio', goal: '≥ 0.7', met: 'not shown' },
          { name: 'b', value: 1, unit: 'ratio', goal: '≥ 0.7', met: false },
          { name: 'c', value: 1, unit: 'ratio', goal: '≥ 0.7', met: true },
        ],
        notes: [],
      },
    ],
    skipped: [],
  });
  expect(md).toContain('| S: a | 1 ratio | ≥ 0.7 | **not shown** |');
  expect(md).toContain('| S: b | 1 ratio | ≥ 0.7 | **NOT met** |');
  expect(md).toContain('| c | 1 | ratio | ≥ 0.7 | **met** |');
});
