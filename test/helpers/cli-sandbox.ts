/** The CLI sandbox as a vitest fixture (kept apart from cli.ts, which the benchmarks import without vitest). */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, beforeEach } from 'vitest';
import { ROOT, sandbox, type Sandbox } from './cli';

/**
 * A fresh sandbox for every test of the file, removed after it; the built CLI is checked once.
 * The returned object always stands for the current test's sandbox.
 */
export function useSandbox(): Sandbox {
  let current: Sandbox | undefined;
  beforeAll(() => {
    if (!fs.existsSync(path.join(ROOT, 'out', 'main', 'cli.js')))
      throw new Error('Build first: npm run build');
  });
  beforeEach(() => {
    current = sandbox();
  });
  afterEach(() => {
    current?.cleanup();
    current = undefined;
  });
  return new Proxy({} as Sandbox, {
    get(_target, key) {
      if (!current) throw new Error('the sandbox exists only while a test runs');
      return current[key as keyof Sandbox];
    },
  });
}
