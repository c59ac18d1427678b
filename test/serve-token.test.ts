/** `vfab serve --keep-token`: the token survives a restart in a file only this user can read. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { keptToken } from '../src-main/serve/auth';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vfab-token-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('keptToken', () => {
  it('makes a token once, mode 0600, and gives the same one back', () => {
    const file = path.join(dir, 'serve.token');
    const first = keptToken(file);
    expect(first).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(keptToken(file)).toBe(first);
  });

  it('refuses a file other users can read, and one that holds no token', () => {
    const file = path.join(dir, 'serve.token');
    fs.writeFileSync(file, 'x'.repeat(32), { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    expect(() => keptToken(file)).toThrow(
      expect.objectContaining({
        code: 'CONFIG',
        message: expect.stringMatching(/can be read by other users \(mode 644\): chmod 600/),
      }),
    );
    fs.chmodSync(file, 0o600);
    fs.writeFileSync(file, 'not a token!');
    expect(() => keptToken(file)).toThrow(expect.objectContaining({ code: 'CONFIG' }));
  });
});
