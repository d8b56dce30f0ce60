import { expect, it } from 'vitest';
import { otlpFromEnv } from './tracing-env.js';

it('finds the OTLP traces endpoint in the environment, BATON_OTLP_URL first', () => {
  expect(otlpFromEnv({})).toBeUndefined();
  expect(otlpFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' })).toEqual({
    url: 'http://collector:4318/v1/traces',
  });
  expect(otlpFromEnv({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/custom' })).toEqual({
    url: 'http://c:4318/custom',
  });
  expect(
    otlpFromEnv({
      BATON_OTLP_URL: 'http://baton:4318/v1/traces',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://other:4318',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=abc%3D, x-team = ops',
    }),
  ).toEqual({ url: 'http://baton:4318/v1/traces', headers: { 'x-api-key': 'abc=', 'x-team': 'ops' } });
});
