/**
 * The names vfab accepts from outside: checked by the engine on disk and by the API contract
 * before a request reaches it, by the same pattern.
 */

/** Letters, digits, '-', '_', '.'; must start with a letter or digit, so no '.', '..' or hidden names. */
export const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** JOB_ID in words, for the refusals of a bad id. */
export const JOB_ID_RULE =
  "1-128 letters, digits, '-', '_' or '.', starting with a letter or digit";

/**
 * Every name a job's snapshots folder may hold (camera/snapshots.ts): `latest.jpg` or
 * `<YYYYMMDDTHHMMSS>-<kind>[-n].jpg`. Anything else (temp files, hand-copied files) is not listed
 * or served.
 */
export const SNAPSHOT_NAME = /^(latest|\d{8}T\d{6}-[a-z_]+(-\d+)?)\.jpg$/;
