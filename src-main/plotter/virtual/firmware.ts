/** Firmware profiles: which commands exist and how replies look, per EBB version (docs/ebb-protocol.md "Firmware capabilities"). */

export const DEFAULT_FIRMWARE = '3.0.3';

/** "2.8.1" → comparable number; suffixes such as "rc1" are ignored. */
export function versionNumber(v: string): number {
  const [a = 0, b = 0, c = 0] = v.split('.').map((p) => Number.parseInt(p, 10) || 0);
  return a * 1_000_000 + b * 1_000 + c;
}

export class Firmware {
  readonly n: number;
  constructor(
    readonly version: string,
    /** The whole `V` reply, for boards that print odd prefixes or suffixes. */
    readonly versionLine = `EBBv13_and_above EB Firmware Version ${version}`,
  ) {
    this.n = versionNumber(version);
  }
  has(since: string): boolean {
    return this.n >= versionNumber(since);
  }
  get v3(): boolean {
    return this.has('3.0.0');
  }
  /** FIFO depth the board can be set to (CU,4): 1 on every 2.x release. */
  get maxFifo(): number {
    return this.v3 ? 32 : 1;
  }
  get maxLine(): number {
    return this.v3 ? 256 : 64;
  }
  get slVariables(): number {
    return this.v3 ? 32 : 1;
  }
}

/** First firmware with each command (absent → `!8`). */
export const COMMAND_SINCE: Record<string, string> = {
  V: '1.0.0',
  QB: '1.9.2',
  QG: '2.6.2',
  QM: '2.2.6',
  QS: '2.4.3',
  CS: '2.4.3',
  QE: '2.8.0',
  QC: '2.2.3',
  QP: '1.9.0',
  QR: '2.6.0',
  QL: '1.0.0',
  SL: '1.0.0',
  QT: '2.5.4',
  ST: '2.5.4',
  EM: '1.0.0',
  SM: '1.0.0',
  XM: '2.3.0',
  LM: '2.5.0',
  LT: '2.7.0',
  HM: '2.6.2',
  ES: '2.2.7',
  SP: '1.0.0',
  S2: '2.2.0',
  SC: '1.0.0',
  SR: '2.5.6',
  TP: '1.0.0',
  R: '1.0.0',
  RB: '2.5.4',
  BL: '1.0.0',
  CU: '2.0.0',
  QU: '3.0.0',
  PI: '1.0.0',
  PO: '1.0.0',
  PD: '1.0.0',
  SE: '2.1.0',
  CK: '1.0.0',
};
