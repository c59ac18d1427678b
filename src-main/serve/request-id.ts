/**
 * A request's id, the one field a refusal must name. `findRequestId` reads it from a request
 * that is streaming past without keeping the request: an upload refused for want of memory is
 * answered from its first bytes (clients put `id` first) while the rest is thrown away.
 *
 *   const finder = findRequestId();
 *   finder.push(bytes);            // as they arrive; returns true once the id is known
 *   finder.id()                    // the id, or null when the request has none that is valid
 */

export type RequestId = string | number | null;

/** The protocol's rule for an id: a string of at most 64 characters or a whole number. */
export function isRequestId(id: unknown): id is string | number {
  return (
    (typeof id === 'string' && id.length <= 64) ||
    (typeof id === 'number' && Number.isSafeInteger(id))
  );
}

/** Longer than any valid id's JSON; a value this long is not one. */
const MAX_ID_TEXT = 400;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN = new Set([0x7b, 0x5b]);
const CLOSE = new Set([0x7d, 0x5d]);

export interface RequestIdFinder {
  /** Feeds the next bytes of the request's JSON; true once the id has been read (or cannot be). */
  push(bytes: Uint8Array): boolean;
  id(): RequestId;
}

/** Reads the top-level object's "id" value, looking only at nesting, strings and the id's own bytes. */
export function findRequestId(): RequestIdFinder {
  let depth = 0;
  let inString = false;
  let escaped = false;
  /** At depth 1: whether the next string is a key. */
  let expectKey = false;
  let key: number[] | undefined;
  let lastKey = '';
  let value: number[] | undefined;
  let done = false;
  let result: RequestId = null;

  const finish = (text: string | undefined) => {
    done = true;
    if (text === undefined) return;
    try {
      const parsed: unknown = JSON.parse(text);
      if (isRequestId(parsed)) result = parsed;
    } catch {
      // Not a JSON value: no id to name.
    }
  };

  const step = (b: number) => {
    if (value) {
      // The id's value ends at the comma or brace that closes it at the top level.
      if (depth === 1 && !inString && (b === COMMA || CLOSE.has(b)))
        return finish(Buffer.from(value).toString('utf8'));
      if (value.length >= MAX_ID_TEXT) return finish(undefined);
      value.push(b);
    }
    if (inString) {
      if (escaped) escaped = false;
      else if (b === BACKSLASH) escaped = true;
      else if (b === QUOTE) {
        inString = false;
        if (key) {
          lastKey = Buffer.from(key).toString('utf8');
          key = undefined;
        }
      } else if (key && key.length <= 8) key.push(b);
      return;
    }
    if (b === QUOTE) {
      inString = true;
      if (depth === 1 && expectKey) {
        key = [];
        expectKey = false;
      }
    } else if (OPEN.has(b)) {
      depth++;
      if (depth === 1) expectKey = true;
    } else if (CLOSE.has(b)) {
      depth--;
      if (depth <= 0) finish(undefined);
    } else if (depth === 1 && b === COMMA) expectKey = true;
    else if (depth === 1 && b === COLON && lastKey === 'id') value = [];
  };

  return {
    push(bytes) {
      for (let i = 0; i < bytes.length && !done; i++) step(bytes[i]!);
      return done;
    },
    id: () => result,
  };
}
