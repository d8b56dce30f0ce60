import { describe, expect, it } from 'vitest';
import { BatonError, NonRetryableError, RetryAfterError, toErrorInfo } from './errors.js';

describe('toErrorInfo', () => {
  it('classifies control-flow errors, typed errors and plain errors', () => {
    expect(toErrorInfo(new NonRetryableError('no', { code: 'BAD' }))).toEqual({
      code: 'BAD',
      message: 'no',
      retryable: false,
    });
    expect(toErrorInfo(new RetryAfterError('later', 500))).toMatchObject({
      retryable: true,
      retryAfterMs: 500,
    });
    expect(toErrorInfo(new BatonError('STEP_TIMEOUT', 'slow'))).toMatchObject({
      code: 'STEP_TIMEOUT',
      retryable: true,
    });
    expect(toErrorInfo(new BatonError('INVALID_INPUT', 'bad'))).toMatchObject({
      code: 'INVALID_INPUT',
      retryable: false,
    });
    expect(toErrorInfo(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toMatchObject({
      code: 'ECONNRESET',
      retryable: true,
    });
    expect(toErrorInfo('weird')).toEqual({ code: 'STEP_FAILED', message: 'weird', retryable: true });
  });

  it('recognises errors thrown by another copy of the package (by name)', () => {
    class NonRetryableError extends Error {
      override name = 'NonRetryableError';
      code = 'OTHER_COPY';
    }
    class RetryAfterError extends Error {
      override name = 'RetryAfterError';
      retryAfterMs = 250;
    }
    expect(toErrorInfo(new NonRetryableError('x'))).toMatchObject({ code: 'OTHER_COPY', retryable: false });
    expect(toErrorInfo(new RetryAfterError('y'))).toMatchObject({ retryable: true, retryAfterMs: 250 });
  });
});
