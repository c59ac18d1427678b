import type { PlotterInfo } from '../../../../src-main/api/contract';

/** The plotters config.yaml names (`devices:`); none when it has only the single `device:`. */
export function namedPlotters(plotters: readonly PlotterInfo[]): readonly PlotterInfo[] {
  return plotters.filter((p) => p.configured);
}
