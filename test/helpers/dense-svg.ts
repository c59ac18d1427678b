/** Drawings made on the spot: a million strokes is too big for test/fixtures. */
import fs from 'node:fs';
import { seeded } from './crash-rig';

/** Strokes per <path>: the reader's element limit is a million, strokes are not elements. */
const PER_PATH = 1000;

/** `count` short random strokes over 200 × 150 mm, seeded (the same file every time); returns its size in bytes. */
export function writeStrokes(file: string, count: number): number {
  const rand = seeded(14);
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(
      fd,
      '<svg xmlns="http://www.w3.org/2000/svg" width="200mm" height="150mm" viewBox="0 0 200 150" fill="none" stroke="black">\n',
    );
    for (let done = 0; done < count; done += PER_PATH) {
      let d = '';
      for (let i = 0; i < Math.min(PER_PATH, count - done); i++) {
        d += `M${(rand() * 195).toFixed(2)} ${(rand() * 145).toFixed(2)}l${(rand() * 4).toFixed(2)} ${(rand() * 4).toFixed(2)}`;
      }
      fs.writeSync(fd, `<path d="${d}"/>\n`);
    }
    fs.writeSync(fd, '</svg>\n');
  } finally {
    fs.closeSync(fd);
  }
  return fs.statSync(file).size;
}

/** `strokes` horizontal 240 mm lines on one layer, no pauses: 3 plot in moments, 40 take seconds at speed 5. */
export function writeZigzag(file: string, strokes: number): string {
  const d = Array.from({ length: strokes }, (_, i) => `M 10 ${10 + i * 4} H 250`).join(' ');
  fs.writeFileSync(
    file,
    `<svg xmlns="http://www.w3.org/2000/svg" width="297mm" height="210mm" viewBox="0 0 297 210"><path d="${d}" stroke="black"/></svg>`,
  );
  return file;
}
