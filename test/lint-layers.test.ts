/**
 * The layering rule of eslint/layers.mjs, run by ESLint's RuleTester on made-up files of
 * src-main: an import down the layers passes, one up or sideways is reported by name.
 */
import path from 'node:path';
import { RuleTester } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import { LAYERS, layersRule, unitOf } from '../eslint/layers.mjs';

const root = '/repo';
const at = (rel: string) => path.join(root, 'src-main', rel);

RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.itOnly = it.only;

const tester = new RuleTester({
  languageOptions: { parser: tseslint.parser, ecmaVersion: 2022, sourceType: 'module' },
});

tester.run('vfab/layers', layersRule as never, {
  valid: [
    {
      filename: at('cli/commands/plot.ts'),
      code: "import { x } from '../../app/plot-session';",
      options: [{ root }],
    },
    {
      filename: at('plan/build.ts'),
      code: "import { readSvg } from '../svg/read';",
      options: [{ root }],
    },
    { filename: at('jobs/journal.ts'), code: "import { y } from './lock';", options: [{ root }] },
    { filename: at('index.ts'), code: "import { z } from './shell/window';", options: [{ root }] },
    {
      filename: path.join(root, 'test/a.test.ts'),
      code: "import { q } from '../src-main/cli/main';",
      options: [{ root }],
    },
    { filename: at('api/x.ts'), code: "import fs from 'node:fs';", options: [{ root }] },
  ],
  invalid: [
    {
      filename: at('plotter/runner.ts'),
      code: "import type { X } from '../recovery/classify';",
      options: [{ root }],
      errors: [{ messageId: 'upward' }],
    },
    {
      filename: at('util/atomic.ts'),
      code: "export { a } from '../api/contract';",
      options: [{ root }],
      errors: [{ messageId: 'upward' }],
    },
    {
      filename: at('serve/http.ts'),
      code: "const d = import('../demo/scene');",
      options: [{ root }],
      errors: [{ messageId: 'sideways' }],
    },
    {
      filename: at('newfolder/a.ts'),
      code: "import { b } from '../jobs/journal';",
      options: [{ root }],
      errors: [{ messageId: 'unknown', data: { unit: 'newfolder' } }],
    },
  ],
});

describe('the layer list', () => {
  it('names every folder and top-level file of src-main once', async () => {
    const fs = await import('node:fs');
    const src = path.join(__dirname, '..', 'src-main');
    const units = fs.readdirSync(src).map((e) => unitOf(path.join(src, e), path.join(src, '..')));
    const listed = LAYERS.flat();
    expect(new Set(listed).size).toBe(listed.length);
    for (const u of units) expect(listed).toContain(u);
  });
});
