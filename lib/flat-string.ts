// V8 keeps a string built by concatenation (a template literal, `a + b`) as a tree of its parts,
// and a Map or Set holding it keeps the whole tree: a 200-character series key held that way took
// 3x the memory of one in one piece (scripts/departed-memory.mjs, issue 26). Keys kept for long
// are stored as a copy in one piece; lookups with the built string still match (same content).

/** The same text as one sequential string. */
export function flat(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}
