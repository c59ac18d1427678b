/** The job detail in a real browser against `vfab serve`: the layers table names each layer's AxiDraw codes. */
import { describe, expect, it } from 'vitest';
import { openApp } from './helpers/app-browser';
import { useAppRig } from './helpers/app-rig';

const rig = useAppRig();

const layer = (name: string, x: number) =>
  `<g inkscape:groupmode="layer" inkscape:label="${name}"><path d="M${x} 10 H${x + 40}" fill="none" stroke="black"/></g>`;
const SVG = `<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" width="200mm" height="100mm" viewBox="0 0 200 100">${layer('1 plain', 10)}${layer('1+S10+H30+D500 slow', 60)}</svg>`;

describe('job detail: layer codes', () => {
  it(
    'the layers table shows the speed, pen height and wait a layer name asks for, a dash for none',
    { timeout: 60_000 },
    async () => {
      const { served, api } = await rig.serve();
      await api.call('jobs.add', {
        source: { name: 'codes.svg', base64: Buffer.from(SVG).toString('base64') },
        id: 'codes',
        optimization: 'fast',
      });
      const app = await openApp(await rig.browser(), served.url);
      const { page } = app;
      await page.locator('[data-job="codes"]').getByRole('button', { name: 'codes.svg' }).click();
      const rows = page.getByTestId('detail').locator('table.layers tbody tr');
      await rows.first().waitFor();
      const cells = await rows.evaluateAll((trs) =>
        trs.map((tr) =>
          Array.from(
            (tr as unknown as { children: ArrayLike<{ textContent: string | null }> }).children,
            (td) => td.textContent,
          ),
        ),
      );
      expect(cells.map((r) => [r[0], r[3]])).toEqual([
        ['1 plain', '—'],
        ['1+S10+H30+D500 slow', 'speed 10 %, pen 30 %, wait 500 ms first'],
      ]);
      expect(await app.problems()).toEqual([]);
    },
  );
});
