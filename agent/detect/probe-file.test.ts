import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../lib/errors.js';
import { readKvmProbeFile } from './probe-file.js';
import { tempDir } from '../../test/support/temp-dir.js';

describe('--kvm-probe file', () => {
  const dir = tempDir('vo-probe-');
  const file = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };

  it('reads the lab answer', async () => {
    expect(await readKvmProbeFile(file('ok.json', '{"ranGuest": true, "detail": "booted", "extra": 1}'))).toEqual({ ranGuest: true, detail: 'booted' });
  });
  it.each([
    ['missing.json', null, /^cannot read --kvm-probe .*missing\.json: ENOENT/],
    ['bad.json', '{"ranGuest": tr', /^--kvm-probe .*bad\.json is not valid JSON/],
    ['string.json', '{"ranGuest": "yes", "detail": "x"}', /^--kvm-probe .*string\.json: 'ranGuest': expected \{"ranGuest": true\|false, "detail": "\.\.\."\}$/],
    ['list.json', '[]', /^--kvm-probe .*list\.json: expected \{"ranGuest"/],
  ])('%s is a usage error naming the file', async (name, text, message) => {
    const path = text === null ? join(dir, name) : file(name, text);
    await expect(readKvmProbeFile(path)).rejects.toThrow(UsageError);
    await expect(readKvmProbeFile(path)).rejects.toThrow(message);
  });
});
