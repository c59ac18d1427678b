/**
 * One error hierarchy: every error vfab raises on purpose is a VfabError, so the CLI's exit status
 * and the API's error code come from one field, and no class falls through to "unexpected error".
 */
import { describe, expect, it } from 'vitest';
import { ApiError } from '../src-main/api/contract';
import { HttpProtocolError } from '../src-main/camera/http-get';
import { MultipartError } from '../src-main/camera/multipart';
import { CameraError } from '../src-main/camera/stream';
import { ConfigError } from '../src-main/config/config';
import { ERROR_CODES, VfabError, type ErrorCode } from '../src-main/errors';
import { JournalError } from '../src-main/jobs/journal';
import { LockTimeoutError } from '../src-main/jobs/lock';
import { IllegalTransitionError } from '../src-main/jobs/states';
import { DatabaseError } from '../src-main/jobs/store';
import { WebhookError } from '../src-main/notify/webhook';

const cases: [string, Error, ErrorCode][] = [
  ['ConfigError', new ConfigError('/c.yaml', 'device.port', 3, 'bad port'), 'CONFIG'],
  [
    'IllegalTransitionError',
    new IllegalTransitionError('a', 'COMPLETED', 'PLOTTING', 'normal'),
    'INVALID_STATE',
  ],
  ['DatabaseError', new DatabaseError('vfab.db is from a newer vfab'), 'DATA'],
  ['JournalError', new JournalError('torn journal'), 'DATA'],
  ['LockTimeoutError', new LockTimeoutError('/x.lock', undefined, 100, 'the job lock'), 'BUSY'],
  ['ApiError', new ApiError('NOT_FOUND', "No job 'a'"), 'NOT_FOUND'],
  ['WebhookError', new WebhookError('connection refused'), 'INTERNAL'],
  ['HttpProtocolError', new HttpProtocolError('bad chunk'), 'INTERNAL'],
  ['MultipartError', new MultipartError('no boundary'), 'INTERNAL'],
  ['CameraError', new CameraError('refused', 'http://127.0.0.1:1/', 'refused'), 'INTERNAL'],
];

describe('the error hierarchy', () => {
  it.each(cases)('%s is a VfabError with its code and exit status', (name, err, code) => {
    expect(err).toBeInstanceOf(VfabError);
    expect(err.name).toBe(name);
    expect((err as VfabError).code).toBe(code);
    expect(ERROR_CODES[(err as VfabError).code]).toBe(ERROR_CODES[code]);
  });
});
