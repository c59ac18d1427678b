/** Per test: a fresh sandbox, and the virtual plotter process the test may start, stopped after it. */
import { afterEach, beforeEach } from 'vitest';
import { sandbox, type Sandbox } from './cli';
import type { PlotterProcess } from './crash-rig';

export interface PlotterRig {
  sb: Sandbox;
  plotter?: PlotterProcess;
}

export function usePlotterSandbox(): PlotterRig {
  const rig = {} as PlotterRig;
  beforeEach(() => {
    rig.sb = sandbox();
  });
  afterEach(async () => {
    await rig.plotter?.stop();
    rig.plotter = undefined;
    rig.sb.cleanup();
  });
  return rig;
}
