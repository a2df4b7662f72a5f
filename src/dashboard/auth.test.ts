import { test } from 'node:test';
import assert from 'node:assert/strict';
import { authorize, bearerOf, tokenMatches } from './auth.ts';

test('tokenMatches: only the same token, whatever the lengths', () => {
  assert.equal(tokenMatches('abc', 'abc'), true);
  assert.equal(tokenMatches('abc', 'abd'), false);
  assert.equal(tokenMatches('abc', 'abcd'), false);
  assert.equal(tokenMatches('abc', ''), false);
});

test('bearerOf: the token of a Bearer header only', () => {
  assert.equal(bearerOf('Bearer t0k'), 't0k');
  assert.equal(bearerOf('bearer t0k '), 't0k');
  assert.equal(bearerOf('Basic t0k'), undefined);
  assert.equal(bearerOf('Bearer a b'), undefined);
  assert.equal(bearerOf(undefined), undefined);
});

test('authorize: read-only without a token (403), missing 401, wrong 403, right ok', () => {
  assert.deepEqual([authorize(undefined, 'Bearer x')].map((a) => (a.ok ? 'ok' : `${a.status} ${a.code}`)), ['403 DASHBOARD_READ_ONLY']);
  assert.deepEqual([authorize('', 'Bearer ')].map((a) => (a.ok ? 'ok' : a.status)), [403]);
  const r = (h: string | undefined) => {
    const a = authorize('s3cret', h);
    return a.ok ? 'ok' : `${a.status} ${a.code}`;
  };
  assert.equal(r(undefined), '401 DASHBOARD_TOKEN_MISSING');
  assert.equal(r('Bearer nope'), '403 DASHBOARD_TOKEN_WRONG');
  assert.equal(r('Bearer s3cret'), 'ok');
});
