// Unit tests of the playground's Bruno semantics (web/static/js/playground/): assert
// operators and operand typing on the shared cases, operator parsing, interpolation,
// post-response variables, the key never taken from a response, and the run order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOperator, runAssertions, typeOperand } from '../../web/static/js/playground/asserts.js';
import { interpolate, postResponse, scope } from '../../web/static/js/playground/vars.js';
import { mergeByName, plan, prepare, run, sortFolders, summary } from '../../web/static/js/playground/runner.js';
import { CASES, RESPONSE, VARS } from './cases.mjs';

test('every shared case passes or fails as Bruno decides', () => {
  const wrong = [];
  for (const [name, value, passes] of CASES) {
    const [r] = runAssertions([{ name, value, enabled: true }], RESPONSE, VARS);
    if ((r.status === 'pass') !== passes) wrong.push(`${name}: ${value} → ${r.status} ${r.error ?? ''}`);
  }
  assert.deepEqual(wrong, []);
});

test('a failing assert names the actual value and the reason', () => {
  const [r] = runAssertions([{ name: 'res.status', value: 'eq 201' }], RESPONSE, {});
  assert.equal(r.status, 'fail');
  assert.equal(r.actual, '200');
  assert.match(r.error, /expected 200 to equal 201/);
});

test('disabled asserts are not evaluated; unsupported expressions fail with a reason', () => {
  const results = runAssertions([
    { name: 'res.status', value: 'eq 500', enabled: false },
    { name: 'res.body.arr.map(x => x)', value: 'isArray', enabled: true },
    { name: 'res.body.s', value: 'eq ${1}', enabled: true },
  ], RESPONSE, {});
  assert.equal(results.length, 2);
  assert.equal(results[0].status, 'fail');
  assert.match(results[0].error, /not evaluated in the browser/);
  assert.match(results[1].error, /JavaScript/);
});

test('operator parsing: unary drops the rest, an unknown first word is eq of the whole value', () => {
  assert.deepEqual(parseOperator('isString x'), { operator: 'isString', operand: '' });
  assert.deepEqual(parseOperator('eq  a b'), { operator: 'eq', operand: ' a b' });
  assert.deepEqual(parseOperator('Order placed'), { operator: 'eq', operand: 'Order placed' });
  assert.deepEqual(parseOperator(''), { operator: 'eq', operand: '' });
});

test('operand typing follows QuickJS: parseInt for integers, big numbers stay text', () => {
  assert.equal(typeOperand('12'), 12);
  assert.equal(typeOperand(' 1.50 '), 1.5);
  assert.equal(typeOperand('0x10'), 0);
  assert.equal(typeOperand('99999999999999999999'), '99999999999999999999');
  assert.equal(typeOperand("'quoted'"), 'quoted');
  assert.equal(typeOperand('a\\nb'), 'a\nb');
  assert.equal(typeOperand('null'), null);
  assert.ok(Number.isNaN(typeOperand(' ')));
});

test('interpolation: nested, unknown kept, objects as JSON, cycles end', () => {
  assert.equal(interpolate('{{a}}-{{b}}-{{c}}', { a: '{{b}}', b: 'x', c: { k: 1 } }), 'x-x-{"k":1}');
  assert.equal(interpolate('{{nope}} {{ a }}', { a: 1 }), '{{nope}} {{ a }}');
  assert.equal(typeof interpolate('{{x}}', { x: '{{y}}', y: '{{x}}' }), 'string');
  assert.equal(interpolate('{{user.name}}', { user: { name: 'B' } }), 'B');
  // Each level doubles: 2^40 characters if nothing stopped it.
  const doubling = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`v${i}`, `{{v${i + 1}}}{{v${i + 1}}}`]));
  doubling.v40 = 'x';
  assert.ok(interpolate('{{v0}}', doubling).length <= 2 * 1024 * 1024);
});

test('scopes: runtime beats request beats folder beats environment; the session key always wins', () => {
  const v = scope({
    collection: { a: 'c', apikey: 'from-file' }, env: { a: 'e', b: 'e', host: 'http://elsewhere' },
    folder: { b: 'f' }, request: { c: 'r' }, runtime: { c: 'rt', apikey: 'stored' }, key: 'session', host: 'http://here',
  });
  assert.deepEqual(v, { a: 'e', b: 'f', c: 'rt', host: 'http://here', apikey: 'session' });
});

test('vars:post-response: values from the response, never the key', () => {
  const res = { ...RESPONSE, body: { orderid: '123', results: [{ orderid: '9' }], apikey: 'x' } };
  const { set, errors } = postResponse([
    { name: 'orderid', value: 'res.body.orderid' },
    { name: 'first', value: 'res.body.results[0].orderid' },
    { name: 'lit', value: '"text"' },
    { name: 'off', value: 'res.body.orderid', enabled: false },
    { name: 'apikey', value: 'res.body.apikey' },
    { name: 'bad', value: 'res.body.orderid.split("")' },
  ], res, {});
  assert.deepEqual(set, { orderid: '123', first: '9', lit: 'text' });
  assert.equal(errors.length, 2);
  assert.match(errors[0], /^apikey: /);
  assert.match(errors[1], /^bad: /);
});

test('prepare: variables in URL, headers and body; other origins and routes refused', () => {
  const data = {
    http: { method: 'post', url: '{{host}}/api/v1/orderstatus', body: 'json' },
    headers: [{ name: 'X-Id', value: '{{orderid}}', enabled: true }],
    body: { json: '{"apikey": "{{apikey}}", "orderid": "{{orderid}}"}' },
  };
  const vars = { host: 'http://127.0.0.1:5000', apikey: 'k', orderid: '42' };
  const p = prepare(data, vars, 'http://127.0.0.1:5000');
  assert.equal(p.url, 'http://127.0.0.1:5000/api/v1/orderstatus');
  assert.deepEqual(p.headers, [['X-Id', '42'], ['Content-Type', 'application/json']]);
  assert.equal(p.body, '{"apikey": "k", "orderid": "42"}');
  assert.match(prepare({ ...data, http: { ...data.http, url: 'http://evil.example/api/v1/x' } }, vars, 'http://127.0.0.1:5000').error, /only this server/);
  assert.match(prepare({ ...data, http: { ...data.http, url: '{{host}}/apikey/regenerate' } }, vars, 'http://127.0.0.1:5000').error, /only this server/);
});

test('collection and folder headers and post-response vars sit under the request\'s own', () => {
  const h = (name, value, enabled = true) => ({ name, value, enabled });
  const folders = plan({
    root: { headers: [h('X-A', 'collection'), h('X-B', 'collection')], vars: { res: [h('v', 'res.status')] } },
    items: [{
      type: 'folder', name: 'f', root: { meta: { seq: 1 }, headers: [h('X-B', 'folder'), h('X-C', 'off', false)] },
      items: [{ type: 'http-request', name: 'r', seq: 1, filename: 'r.bru', data: { http: { method: 'get', url: '/health' }, headers: [h('X-A', 'request')] } }],
    }],
  });
  const [req] = folders[0].requests;
  const p = prepare(req.data, {}, 'http://127.0.0.1:5000', req.headers);
  assert.deepEqual(p.headers, [['X-A', 'request'], ['X-B', 'folder']]);
  assert.deepEqual(req.resVars.map((v) => v.name), ['v']);
  assert.deepEqual(mergeByName([h('a', 1)], [h('a', 2), h('b', 3, false)]), [h('a', 2)]);
});

test('run order: folders by seq (others alphabetical around them), requests by seq', () => {
  const f = (name, seq) => ({ name, seq });
  assert.deepEqual(sortFolders([f('z', NaN), f('b', 1), f('a', NaN), f('c', 3)]).map((x) => x.name), ['b', 'a', 'c', 'z']);
  const req = (name, seq) => ({ type: 'http-request', name, seq, filename: `${name}.bru`, data: { meta: { name, seq } } });
  const folders = plan({
    items: [
      { type: 'folder', name: 'orders', root: { meta: { seq: '2' } }, items: [req('cancel', 7), req('place', 1)] },
      { type: 'folder', name: 'account', root: { meta: { seq: '1' } }, items: [req('funds', 1), req('analyzer', 1)] },
      { type: 'folder', name: 'websocket', root: { meta: { seq: '5' } }, items: [{ type: 'ws-request', name: 'ws', data: {} }] },
    ],
  });
  assert.deepEqual(folders.map((x) => x.requests.map((r) => r.file)), [['account/funds.bru', 'account/analyzer.bru'], ['orders/place.bru', 'orders/cancel.bru']]);
  const s = summary([{ result: 'pass', asserts: [{ status: 'pass' }] }, { result: 'fail', asserts: [{ status: 'fail' }] }], 3);
  assert.deepEqual([s.passedRequests, s.failedRequests, s.skippedRequests, s.passedAssertions, s.totalAssertions], [1, 1, 1, 1, 2]);
});

test('a run chains variables from one response into the next request, and stops when told', async () => {
  const sent = [];
  const fakeFetch = async (url, init) => {
    sent.push([new URL(url).pathname, init.body]);
    const body = new URL(url).pathname.endsWith('/placeorder') ? { status: 'success', orderid: '77' } : { status: 'error' };
    return new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } });
  };
  const req = (name, url, body, extra = {}) => ({
    folder: 'orders', name, file: `orders/${name}.bru`, folderVars: {}, headers: [], resVars: [],
    data: { http: { method: 'post', url, body: 'json' }, body: { json: body }, ...extra },
  });
  const requests = [
    req('place', '{{host}}/api/v1/placeorder', '{"apikey": "{{apikey}}"}', {
      vars: { res: [{ name: 'orderid', value: 'res.body.orderid', enabled: true }] },
      assertions: [{ name: 'res.body.status', value: 'eq success', enabled: true }],
    }),
    req('status', '{{host}}/api/v1/orderstatus', '{"orderid": "{{orderid}}"}', {
      assertions: [{ name: 'res.body.status', value: 'eq success', enabled: true }],
    }),
    req('never', '{{host}}/api/v1/funds', '{}'),
  ];
  const runtime = {};
  const heard = [];
  const ctx = {
    collection: {}, env: {}, runtime, key: 'k', origin: 'http://127.0.0.1:5000', fetch: fakeFetch,
    now: () => 0, stopOnFailure: true, stopped: () => false, onResult: (r) => heard.push(r.result),
  };
  const results = await run(requests, ctx);
  assert.deepEqual(sent, [['/api/v1/placeorder', '{"apikey": "k"}'], ['/api/v1/orderstatus', '{"orderid": "77"}']]);
  assert.deepEqual(runtime, { orderid: '77' });
  assert.deepEqual(heard, ['pass', 'fail'], 'stopped at the first failure');
  assert.equal(results.length, 2);
  sent.length = 0;
  let calls = 0;
  await run(requests, { ...ctx, stopOnFailure: false, stopped: () => calls++ > 0 });
  assert.equal(sent.length, 1, 'Stop ends the run before the next request');
});
