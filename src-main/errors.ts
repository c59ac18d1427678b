/**
 * Errors a user can cause or meet. Each names the thing (job, file, key) and what to do; the
 * code decides the CLI exit status and lets the UI pick its wording without parsing messages.
 */
export const ERROR_CODES = {
  /** Anything unexpected: a bug or an OS failure we did not foresee. */
  INTERNAL: 1,
  /** Bad command-line usage (commander reports these itself with the same status). */
  USAGE: 2,
  NOT_FOUND: 3,
  ALREADY_EXISTS: 4,
  INVALID_INPUT: 5,
  CONFIG: 6,
  /** A job is not in a state that allows the action. */
  INVALID_STATE: 7,
  /** The data cannot be used as it is: damage (a journal with errors, an unreadable job folder), a full disk, a data folder that cannot be written. */
  DATA: 8,
  /** Another process holds the job or device. */
  BUSY: 9,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export class VfabError extends Error {
  override name = 'VfabError';
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}
