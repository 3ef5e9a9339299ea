import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactUrl, requestToken } from '../../../src/http/token.js';

const tok = (q: string, h: Record<string, string> = {}, dflt = '') =>
  requestToken(new URLSearchParams(q), h, dflt);

test('requestToken: ?token beats X-Consul-Token beats Authorization: Bearer beats the default', () => {
  const all = { 'x-consul-token': 'hdr', authorization: 'Bearer bear' };
  assert.equal(tok('token=q', all, 'd'), 'q');
  assert.equal(tok('', all, 'd'), 'hdr');
  assert.equal(tok('token=', { authorization: 'Bearer bear' }, 'd'), 'bear');
  assert.equal(tok('', {}, 'd'), 'd');
  assert.equal(tok('', {}), '');
});

test('requestToken: Authorization needs the Bearer scheme (any case) and takes the first word after it', () => {
  assert.equal(tok('', { authorization: 'bEaReR abc' }), 'abc');
  assert.equal(tok('', { authorization: 'Bearer   abc def' }), 'abc');
  assert.equal(tok('', { authorization: 'Basic abc' }, 'd'), 'd');
  assert.equal(tok('', { authorization: 'Bearerabc' }, 'd'), 'd');
  assert.equal(tok('', { authorization: 'Bearer ' }, 'd'), 'd');
});

test('redactUrl: ?token values become <hidden> (an empty one is appended), legacy ACL path tokens too', () => {
  assert.equal(redactUrl('/v1/kv/a?token=s3cret&recurse'), '/v1/kv/a?token=<hidden>&recurse');
  assert.equal(redactUrl('/v1/kv/s3cret?token=s3cret'), '/v1/kv/<hidden>?token=<hidden>');
  assert.equal(redactUrl('/v1/kv/a?token='), '/v1/kv/a?token=<hidden>');
  assert.equal(redactUrl('/v1/kv/a?index=3'), '/v1/kv/a?index=3');
  assert.equal(redactUrl('/v1/acl/info/abcd-ef?token=x'), '/v1/acl/info/<hidden>?token=<hidden>');
});
