// Writes the bounds table of docs/schema.md ("What an agent may send") from schema/bounds.ts.
// Run after a build (it reads dist/): node scripts/bounds-doc.mjs. schema/bounds.test.ts checks it.
import { readFileSync, writeFileSync } from 'node:fs';
import { BEGIN, boundsBlock, renderBounds } from '../dist/schema/bounds-doc.js';

const path = new URL('../docs/schema.md', import.meta.url);
const page = readFileSync(path, 'utf8');
const block = boundsBlock(page);
if (!block) throw new Error(`docs/schema.md has no block starting with ${BEGIN}`);
writeFileSync(path, page.replace(block, renderBounds()));
