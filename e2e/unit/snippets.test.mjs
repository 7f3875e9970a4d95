// The header forms of the playground's snippets (web/static/js/playground/snippets.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { curl, headerKey, requests } from '../../web/static/js/playground/snippets.js';

const key = 'k'.repeat(64);

test('a body key moves to X-API-KEY, the other fields stay', () => {
  const r = { method: 'POST', url: 'http://h/api/v1/quotes', body: JSON.stringify({ apikey: key, symbol: 'SBIN' }), headers: [] };
  const moved = headerKey(r);
  assert.deepEqual(JSON.parse(moved.body ?? ''), { symbol: 'SBIN' });
  assert.deepEqual(moved.headers, [['X-API-KEY', key]]);
  assert.match(curl(moved), new RegExp(`-H 'X-API-KEY: ${key}'`));
  assert.doesNotMatch(curl(moved), /apikey/);
  assert.match(requests(moved), new RegExp(`"X-API-KEY": "${key}"`));
  assert.doesNotMatch(requests(moved), /apikey/);
});

test('a query key moves to X-API-KEY on GET', () => {
  const r = { method: 'GET', url: `http://h/api/v1/ticker/NSE:SBIN?apikey=${key}&interval=D`, body: null, headers: [] };
  const moved = headerKey(r);
  assert.equal(moved.url, 'http://h/api/v1/ticker/NSE:SBIN?interval=D');
  assert.deepEqual(moved.headers, [['X-API-KEY', key]]);
});

test('a request without a key, or with a non-JSON body, is unchanged', () => {
  for (const r of [
    { method: 'POST', url: 'http://h/api/v1/ping', body: '{"x": 1}', headers: [] },
    { method: 'POST', url: 'http://h/api/v1/ping', body: 'not json', headers: [] },
    { method: 'GET', url: 'http://h/api/v1/instruments', body: null, headers: [] },
  ]) {
    assert.deepEqual(headerKey(r), r);
  }
});
