// All file reads of detection go through a root directory so tests can point it at a fixture tree.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export class RootFs {
  constructor(readonly root: string) {}

  get isLive(): boolean {
    return this.root === '/';
  }

  path(p: string): string {
    return join(this.root, p);
  }

  exists(p: string): boolean {
    return existsSync(this.path(p));
  }

  /** The file's text, or null when it is missing or unreadable (permission, not a file). */
  read(p: string): string | null {
    try {
      return readFileSync(this.path(p), 'utf8');
    } catch {
      return null;
    }
  }

  /** First line, trimmed; null when missing or empty. */
  line(p: string): string | null {
    const text = this.read(p);
    if (text == null) return null;
    const first = text.replace(/\0/g, '').split('\n')[0]!.trim();
    return first === '' ? null : first;
  }

  list(p: string): string[] {
    try {
      return readdirSync(this.path(p));
    } catch {
      return [];
    }
  }
}
