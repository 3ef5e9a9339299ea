import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acceptsGzip } from '../../../src/http/gzip.js';

test('acceptsGzip: gzip with a positive q-value (any case); q=0, other codings or none refuse', () => {
  for (const h of ['gzip', 'GZIP', 'deflate, gzip', 'gzip;q=0.5', 'br;q=1.0, gzip; q=0.1'])
    assert.equal(acceptsGzip(h), true, h);
  for (const h of [undefined, '', 'deflate', 'br', 'gzip;q=0', 'gzip;q=0.0', 'x-gzip'])
    assert.equal(acceptsGzip(h), false, String(h));
});
