import readline from 'node:readline/promises';

/** Asks on the terminal; anything but y/yes is a no. */
export async function confirm(question: string): Promise<boolean> {
  const answer = await ask(`${question} [y/N] `);
  return /^y(es)?$/i.test(answer.trim());
}

/** One line from the terminal; an empty answer keeps `fallback`. */
export async function ask(question: string, fallback = ''): Promise<string> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await rl.question(fallback ? `${question} [${fallback}] ` : question)).trim();
    return answer || fallback;
  } finally {
    rl.close();
  }
}
