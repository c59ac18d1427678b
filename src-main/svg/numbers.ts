/**
 * A char-code scanner for SVG number syntax, shared by path data, points and transforms. It
 * accepts the compact forms editors write ("1.5.5-2e3" is 1.5, .5, -2e3) and, for arc flags,
 * single digits without separators ("a1 1 0 00 1 1").
 */
export class NumberScanner {
  pos = 0;
  constructor(readonly text: string) {}

  /** Skips whitespace and at most one comma; true if a comma was skipped. */
  skipSeparators(): boolean {
    const t = this.text;
    let comma = false;
    for (; this.pos < t.length; this.pos++) {
      const c = t.charCodeAt(this.pos);
      if (c === 44 /* , */ && !comma) comma = true;
      else if (c !== 32 && c !== 9 && c !== 10 && c !== 13 && c !== 12) break;
    }
    return comma;
  }

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  /** True if the next character can start a number. */
  atNumber(): boolean {
    const c = this.text.charCodeAt(this.pos);
    return (c >= 48 && c <= 57) || c === 46 || c === 45 || c === 43;
  }

  /** The next number, or NaN when there is none (position unchanged then). */
  number(): number {
    const t = this.text;
    const start = this.pos;
    let i = start;
    let c = t.charCodeAt(i);
    if (c === 43 || c === 45) c = t.charCodeAt(++i);
    let digits = 0;
    while (c >= 48 && c <= 57) {
      digits++;
      c = t.charCodeAt(++i);
    }
    if (c === 46) {
      c = t.charCodeAt(++i);
      while (c >= 48 && c <= 57) {
        digits++;
        c = t.charCodeAt(++i);
      }
    }
    if (!digits) return NaN;
    if (c === 101 || c === 69) {
      let j = i + 1;
      let e = t.charCodeAt(j);
      if (e === 43 || e === 45) e = t.charCodeAt(++j);
      if (e >= 48 && e <= 57) {
        while (e >= 48 && e <= 57) e = t.charCodeAt(++j);
        i = j;
      }
    }
    this.pos = i;
    return Number(t.slice(start, i));
  }

  /** An arc flag: a single 0 or 1, or NaN. */
  flag(): number {
    const c = this.text.charCodeAt(this.pos);
    if (c !== 48 && c !== 49) return NaN;
    this.pos++;
    return c - 48;
  }
}

/** Numbers separated by whitespace and/or commas; null on garbage or non-finite values. */
export function parseNumberList(text: string): number[] | null {
  const s = new NumberScanner(text);
  const out: number[] = [];
  s.skipSeparators();
  while (!s.atEnd()) {
    const v = s.number();
    if (!Number.isFinite(v)) return null;
    out.push(v);
    const comma = s.skipSeparators();
    if (comma && s.atEnd()) return null;
  }
  return out;
}
