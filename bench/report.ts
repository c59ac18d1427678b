/** Shared shape of benchmark results: each suite returns rows; index.ts prints and saves them. */
export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  /** e.g. "<= 2" — printed beside the value; `ok` says whether it was met. */
  target?: string;
  ok?: boolean;
}

export interface BenchSuite {
  name: string;
  run(): Promise<BenchRow[]> | BenchRow[];
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export function timeMs(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

/** The rows whose target was missed, in words a CI log can show: "suite: name value unit (target …)". */
export function missedTargets(suite: string, rows: BenchRow[]): string[] {
  return rows
    .filter((r) => r.ok === false)
    .map((r) => `${suite}: ${r.name} ${r.value} ${r.unit} (target ${r.target ?? '?'} ${r.unit})`);
}
