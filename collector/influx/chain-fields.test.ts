// The nested-stack facts a result carries, read from a hello.
import { describe, expect, it } from 'vitest';
import type { Hello__Output } from '../../proto/index.js';
import { chainFields } from './chain-fields.js';

const hello = (parent: string, declared: Record<string, string>, detection: string) =>
  ({ parent_agent: parent, environment: { declared, detection_json: detection } }) as unknown as Hello__Output;

describe('chainFields', () => {
  it('parent, declared nesting and the depth detection saw', () => {
    expect(chainFields(hello('l1', { nesting: 'L2', host: 'x' }, JSON.stringify({ nested: { min_depth: 1 } })))).toEqual({
      parent_agent: 'l1',
      declared_nesting: 'L2',
      seen_depth: 1,
    });
  });
  it('nothing declared, bare metal', () => {
    expect(chainFields(hello('', {}, JSON.stringify({ nested: { min_depth: 0 } })))).toEqual({ seen_depth: 0 });
  });
  it('unreadable or odd detection: no depth recorded, nothing thrown', () => {
    expect(chainFields(hello('p', {}, '{not json'))).toEqual({ parent_agent: 'p' });
    expect(chainFields(hello('p', {}, JSON.stringify({ nested: { min_depth: -1 } })))).toEqual({ parent_agent: 'p' });
    expect(chainFields(hello('p', {}, JSON.stringify({ nested: { min_depth: '1' } })))).toEqual({ parent_agent: 'p' });
  });
});
