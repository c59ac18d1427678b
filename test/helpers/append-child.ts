/**
 * A second writer for the concurrency test: appends <n> progress entries tagged <tag> to
 * <journal>. Says "ready" once loaded and starts on the first byte on stdin, so the test can
 * start all writers at the same moment.
 */
import { appendEntry } from '../../src-main/jobs/journal';

const [journal, n, tag] = process.argv.slice(2);
if (!journal || !n || !tag) throw new Error('usage: append-child.ts <journal> <n> <tag>');
process.stdin.once('data', () => {
  for (let i = 0; i < Number(n); i++)
    appendEntry(journal, { type: 'progress', progress: { tag, i } });
  process.exit(0);
});
process.stdout.write('ready\n');
