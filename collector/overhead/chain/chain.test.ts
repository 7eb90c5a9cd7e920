// Chain resolution and chain arithmetic against hand-computed values (docs/overhead.md
// "Nested stacks"). t(0.975, 4) = 2.7764451051977987, t(0.975, 8) = 2.3060041352041662 from t tables.
import { describe, expect, it } from 'vitest';
import { checkChain, layersProduct, type RunSample } from './math.js';
import { resolveChains, type ChainAgent } from './resolve.js';

const a = (agent: string, parent: string | null, role = 'guest', group = 'g'): ChainAgent => ({ agent, group, role, parent });

describe('resolveChains', () => {
  it('native → L1 → L2: parents, root, path and depth', () => {
    const { links, problems } = resolveChains([a('l0', null, 'baseline'), a('l1', 'l0'), a('l2', 'l1')], 'g');
    expect(problems).toEqual([]);
    expect(links.get('l0')).toEqual({ agent: 'l0', parent: null, root: null, path: ['l0'], depth: 0 });
    expect(links.get('l1')).toEqual({ agent: 'l1', parent: 'l0', root: 'l0', path: ['l0', 'l1'], depth: 1 });
    expect(links.get('l2')).toEqual({ agent: 'l2', parent: 'l1', root: 'l0', path: ['l0', 'l1', 'l2'], depth: 2 });
  });

  it('a parent that never reported: clear message, no root above it, other chains computed', () => {
    const { links, problems } = resolveChains([a('l0', null, 'baseline'), a('l1', 'l0'), a('x1', 'ghost'), a('x2', 'x1')], 'g');
    expect(problems.map((p) => [p.agent, p.kind])).toEqual([
      ['x1', 'parent-missing'],
      ['x2', 'broken-below'],
    ]);
    expect(problems[0]!.message).toBe("'x1' names 'ghost' as its parent, but 'ghost' has no results in group g near this run");
    expect(links.get('x1')).toMatchObject({ parent: null, root: null });
    expect(links.get('x2')).toMatchObject({ parent: 'x1', root: null }); // its own layer is still measured
    expect(links.get('l1')).toMatchObject({ parent: 'l0', root: 'l0', depth: 1 });
  });

  it('a parent in another group', () => {
    const { links, problems } = resolveChains([a('l0', null, 'baseline', 'h'), a('l1', 'l0'), a('m0', null, 'baseline'), a('m1', 'm0')], 'g');
    expect(problems).toEqual([
      {
        agent: 'l1',
        kind: 'parent-other-group',
        message: "'l1' (group g) names 'l0' as its parent, but 'l0' reports in group h; layers are compared within one group only",
      },
    ]);
    expect(links.get('l1')).toMatchObject({ parent: null, root: null });
    expect(links.get('m1')).toMatchObject({ parent: 'm0', root: 'm0' });
  });

  it('a cycle: one message naming it, agents hanging off it keep their own layer', () => {
    const { links, problems } = resolveChains([a('b', 'c'), a('c', 'b'), a('d', 'c'), a('l0', null, 'baseline'), a('l1', 'l0')], 'g');
    expect(problems.filter((p) => p.kind === 'cycle')).toEqual([
      { agent: 'b', kind: 'cycle', message: "the parents form a cycle: 'b' → 'c' → 'b'; none of these is compared with its parent or with a root" },
    ]);
    expect(problems.filter((p) => p.kind === 'broken-below').map((p) => p.agent)).toEqual(['d']);
    expect(links.get('b')).toMatchObject({ parent: null, root: null });
    expect(links.get('c')).toMatchObject({ parent: null, root: null });
    expect(links.get('d')).toMatchObject({ parent: 'c', root: null });
    expect(links.get('l1')).toMatchObject({ parent: 'l0', root: 'l0' });
  });

  it('an agent naming itself is a cycle of one', () => {
    const { problems } = resolveChains([a('s', 's')], 'g');
    expect(problems.map((p) => p.kind)).toEqual(['cycle']);
  });

  it('two agents claiming the same parent with different roles: the baseline one is not compared', () => {
    const { links, problems } = resolveChains([a('l0', null, 'baseline'), a('k', 'l0', 'guest'), a('q', 'l0', 'baseline'), a('q2', 'q')], 'g');
    expect(problems.map((p) => [p.agent, p.kind])).toEqual([
      ['q', 'role-conflict'],
      ['q2', 'broken-below'],
    ]);
    expect(problems[0]!.message).toContain("agents k (guest), q (baseline) all name 'l0' as their parent but with different roles");
    expect(links.get('k')).toMatchObject({ parent: 'l0', root: 'l0' });
    expect(links.get('q')).toMatchObject({ parent: null, root: null });
  });
});

// resolution 0: the hand-computed values below leave out the rounding term, tested on its own.
const s = (key: string, values: number[], resolution = 0): RunSample => ({ key, values, resolution });
const L0 = s('l0:r', [100, 110, 90]);
const L1 = s('l1:r', [50, 55, 45]);
const L2 = s('l2:r', [10, 11, 9]);

describe('chain arithmetic', () => {
  it('same middle run in both layers: product = whole exactly, interval = the whole-stack interval', () => {
    const layers = [
      { child: L1, parent: L0 },
      { child: L2, parent: L1 },
    ];
    const p = layersProduct(layers);
    // 0.5 · 0.2; L1's terms cancel, so se = √(1/300 + 1/300), df = 4.
    expect(p.ratio).toBeCloseTo(0.1, 12);
    expect(p.low).toBeCloseTo(0.07971632476079446, 10);
    expect(p.high).toBeCloseTo(0.12544481986603243, 10);
    expect(p.df).toBeCloseTo(4, 10);
    const c = checkChain(layers, { child: L2, parent: L0 });
    expect(c.whole).toBeCloseTo(0.1, 12);
    expect(c.agrees).toBe(true);
    expect(c.interaction).toEqual({ ratio: 1, low: 1, high: 1, df: Infinity });
  });

  it('different middle runs: all four runs count; the whole stack within the interval agrees', () => {
    const L1b = s('l1:r2', [40, 44, 36]);
    const layers = [
      { child: L1, parent: L0 },
      { child: L2, parent: L1b },
    ];
    const c = checkChain(layers, { child: L2, parent: L0 });
    // 0.5 · 0.25 = 0.125; se = √(4/300), df = (4/300)² / (4 · (1/300)² / 2) = 8.
    expect(c.layers.ratio).toBeCloseTo(0.125, 12);
    expect(c.layers.low).toBeCloseTo(0.09577860360916735, 10);
    expect(c.layers.high).toBeCloseTo(0.1631366444196569, 10);
    expect(c.layers.df).toBeCloseTo(8, 10);
    expect(c.whole).toBeCloseTo(0.1, 12);
    expect(c.agrees).toBe(true);
    // whole / product = 40 / 50, from L1b against L1 alone (df 4).
    expect(c.interaction.ratio).toBeCloseTo(0.8, 12);
    expect(c.interaction.low).toBeCloseTo(0.6377305980863557, 10);
    expect(c.interaction.high).toBeCloseTo(1.0035585589282594, 10);
  });

  it('layers that do not compose: the whole stack outside the product interval', () => {
    const L1c = s('l1:r3', [20, 22, 18]);
    const c = checkChain(
      [
        { child: L1, parent: L0 },
        { child: L2, parent: L1c },
      ],
      { child: L2, parent: L0 },
    );
    expect(c.layers.ratio).toBeCloseTo(0.25, 12);
    expect(c.layers.low).toBeCloseTo(0.1915572072183347, 10);
    expect(c.layers.high).toBeCloseTo(0.3262732888393138, 10);
    expect(c.agrees).toBe(false);
  });

  it('one trial per run: no interval; agreement means equal', () => {
    const c = checkChain(
      [
        { child: s('1', [50]), parent: s('0', [100]) },
        { child: s('2', [10]), parent: s('1', [50]) },
      ],
      { child: s('2', [10]), parent: s('0', [100]) },
    );
    expect(c.layers.low).toBeUndefined();
    expect(c.layers.ratio).toBeCloseTo(0.1, 12);
    expect(c.agrees).toBe(true);
  });

  it('adds the rounding variance of the printing step, like the comparison engine', () => {
    // Step 1 (inferred from whole numbers): each side's term is (100 + 1/12) / (3 · 100²) for L0.
    const p = layersProduct([{ child: { key: 'a', values: [50, 55, 45] }, parent: { key: 'b', values: [100, 110, 90] } }]);
    const v = (25 + 1 / 12) / (3 * 2500) + (100 + 1 / 12) / (3 * 10000);
    const df = v ** 2 / (((25 + 1 / 12) / 7500) ** 2 / 2 + ((100 + 1 / 12) / 30000) ** 2 / 2);
    expect(p.df).toBeCloseTo(df, 9);
    expect(p.low! / 0.5).toBeLessThan(0.797163); // wider than without the rounding term
    expect(Math.log(p.high! / 0.5) / Math.sqrt(v)).toBeCloseTo(Math.log(0.5 / p.low!) / Math.sqrt(v), 9);
  });
});
