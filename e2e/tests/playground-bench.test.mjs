// End to end: the Playground as a test bench, on a copy of our collection with a second
// environment and one folder of deliberately failing checks. Asserts shown beside the
// response; the order id of Place Order flowing into Order Status through the variables
// panel (sessionStorage, never the key); environment switching in the interpolated
// snippet; a whole-collection run in the Runner, exported as JSON and compared request by
// request with `bru run`'s JSON report on the same server; stop on first failure.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ARTIFACTS, ROOT, noteSecret, screenshot, setupAndLogin, startBrowser, startServer } from '../lib.mjs';

const USER = 'admin';
const PASSWORD = 'B3nch-Playground-Pass!';
let server;
let browser;
let key = '';
const work = mkdtempSync(path.join(tmpdir(), 'algogate-bench-'));
const collection = path.join(work, 'collections');

// Two failing-by-design requests after our folders: the first fails its asserts, the
// second passes (its operands from its vars:pre-request), so stop-on-failure has
// something to stop before.
const CHECKS = {
  'folder.bru': 'meta {\n  name: checks\n  seq: 5\n}\n',
  'wrong-status.bru': 'meta {\n  name: Wrong Status\n  type: http\n  seq: 1\n}\n\nget {\n  url: {{host}}/health\n  body: none\n  auth: none\n}\n\nassert {\n  res.status: eq 201\n  res.body.status: eq ok\n}\n',
  'health-again.bru': 'meta {\n  name: Health Again\n  type: http\n  seq: 2\n}\n\nget {\n  url: {{host}}/health\n  body: none\n  auth: none\n}\n\nvars:pre-request {\n  expected: 200\n  word: ok\n}\n\nassert {\n  res.status: {{expected}}\n  res.body.status: eq {{word}}\n}\n',
};

before(async () => {
  cpSync(path.join(ROOT, 'collections'), collection, { recursive: true });
  mkdirSync(path.join(collection, 'checks'));
  for (const [f, text] of Object.entries(CHECKS)) writeFileSync(path.join(collection, 'checks', f), text);
  const local = path.join(collection, 'environments', 'local.bru');
  writeFileSync(local, readFileSync(local, 'utf8').replace('vars {\n', 'vars {\n  sym: SBIN\n'));
  writeFileSync(path.join(collection, 'environments', 'second.bru'), 'vars {\n  host: http://example.com\n  apikey: key-from-an-environment-file\n  sym: INFY\n}\n');
  server = await startServer({
    ALGOGATE_COLLECTIONS_DIR: collection,
    // Both runs send their requests back to back from one IP; the limiter has its own tests.
    API_RATE_LIMIT: '1000 per second', ORDER_RATE_LIMIT: '1000 per second', SMART_ORDER_RATE_LIMIT: '1000 per second',
  });
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
  const log = server?.log() ?? '';
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
  noteSecret(key);
  noteSecret(PASSWORD);
  if (key) assert.ok(!log.includes(key), 'the API key appeared in the server output');
  assert.deepEqual(browser?.problems ?? [], []);
});

async function sendAndWait(page) {
  const answered = page.waitForResponse((r) => new URL(r.url()).pathname.startsWith('/api/'));
  await page.click('#send');
  await answered;
  await page.waitForFunction(() => document.getElementById('loading').hidden);
}

/** The shown asserts as [status, text] pairs. */
function shownAsserts(page) {
  return page.locator('#assert-list li').evaluateAll((els) => els.map((e) => [e.dataset.status, e.querySelector('code').textContent]));
}

/** The runtime variables kept for this tab. */
function storedVars(page) {
  return page.evaluate(() => JSON.parse(sessionStorage.getItem('algogate-playground-vars') || '{}'));
}

test('asserts beside the response, and the order id chained into Order Status', async () => {
  const page = await browser.page();
  await setupAndLogin(page, server, USER, PASSWORD);
  await page.goto(`${server.base}/playground`);
  await page.waitForSelector('.pg-ep');
  key = await page.inputValue('#key-field');
  assert.match(key, /^[0-9a-f]{64}$/);

  await page.click('.pg-cat[data-category="orders"] .pg-ep:has-text("Place Order")');
  await sendAndWait(page);
  await page.click('button[data-rpane="asserts"]');
  assert.deepEqual(await shownAsserts(page), [
    ['pass', 'res.status: eq 200'], ['pass', 'res.body.status: eq success'],
    ['pass', 'res.body.mode: eq analyze'], ['pass', 'res.body.orderid: isString'],
  ]);
  assert.equal(await page.locator('#assert-count').innerText(), '4/4');
  const placed = JSON.parse((await page.locator('#response').innerText()).replace(/^\s*\d+ ?/gm, ''));

  // vars:post-response: the order id is a runtime variable, shown and kept in this tab.
  const row = page.locator('#vars-rows tr[data-var="orderid"] input');
  assert.equal(await row.inputValue(), placed.orderid);
  await page.locator('#vars-box').screenshot({ path: path.join(ARTIFACTS, 'playground-vars.png') });
  const stored = await storedVars(page);
  assert.equal(stored.orderid, placed.orderid);
  assert.ok(!JSON.stringify(stored).includes(key), 'the key is not stored');
  const storage = await page.evaluate(() => JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }));
  assert.ok(!storage.includes(key), 'the key is in neither storage');

  // Order Status sends {{orderid}}: its asserts pass on the order just placed.
  await page.click('.pg-cat[data-category="orders"] .pg-ep:has-text("Order Status")');
  assert.match(await page.inputValue('#body'), /"orderid": "\{\{orderid\}\}"/);
  const sent = page.waitForRequest((r) => r.url().endsWith('/api/v1/orderstatus'));
  await sendAndWait(page);
  assert.equal(JSON.parse((await sent).postData()).orderid, placed.orderid);
  assert.ok((await shownAsserts(page)).every(([s]) => s === 'pass'), JSON.stringify(await shownAsserts(page)));
  await screenshot(page, 'playground-asserts');

  // An edited variable is what the next request sends; the failing assert shows the
  // actual value.
  await row.fill('00000000000000');
  await row.dispatchEvent('change');
  assert.equal((await storedVars(page)).orderid, '00000000000000');
  await sendAndWait(page);
  const failed = page.locator('#assert-list li[data-status="fail"]').first();
  assert.match(await failed.innerText(), /res\.status: eq 200[\s\S]*actual 404/);
  assert.notEqual(await page.locator('#assert-count').innerText(), '5/5');

  // The variables survive a reload of this tab.
  await page.reload();
  await page.waitForSelector('#vars-rows tr[data-var="orderid"]');
  assert.equal(await page.locator('#vars-rows tr[data-var="orderid"] input').inputValue(), '00000000000000');
  await page.click('#vars-clear');
  assert.equal(await page.locator('#vars-rows tr[data-var="orderid"]').count(), 0);
});

test('environments: {{var}} from the chosen file; host and the key never from a file', async () => {
  const page = await browser.page();
  await page.goto(`${server.base}/playground`);
  await page.waitForSelector('.pg-ep');
  const options = await page.locator('#env-select option').evaluateAll((els) => els.map((e) => e.value));
  assert.deepEqual(options, ['', 'local', 'second']);
  assert.equal(await page.inputValue('#env-select'), 'local');

  await page.click('.pg-cat[data-category="orders"] .pg-ep:has-text("Place Order")');
  const body = JSON.parse(await page.inputValue('#body'));
  await page.fill('#body', JSON.stringify({ ...body, apikey: '{{apikey}}', symbol: '{{sym}}' }, null, 2));
  await page.click('button[data-pane="code"]');
  const snippet = () => page.locator('#code').innerText();
  assert.match(await snippet(), /"symbol": "SBIN"/);
  await page.selectOption('#env-select', 'second');
  assert.match(await snippet(), /"symbol": "INFY"/);
  assert.ok((await snippet()).includes(key), 'the session key, not the file\'s');
  assert.ok(!(await snippet()).includes('key-from-an-environment-file'));
  assert.ok(!(await snippet()).includes('example.com'), 'host is the page\'s origin');
  assert.equal(await page.evaluate(() => sessionStorage.getItem('algogate-playground-env')), 'second');

  const sent = page.waitForRequest((r) => r.url().endsWith('/api/v1/placeorder'));
  await sendAndWait(page);
  const req = JSON.parse((await sent).postData());
  assert.equal(req.symbol, 'INFY');
  assert.equal(req.apikey, key);
  assert.equal(await page.locator('#status').innerText(), '200 OK');
  await page.selectOption('#env-select', 'local');
});

/**
 * Runs the collection copy with the pinned Bruno CLI, as scripts/bru-run.sh does. Not
 * synchronously: the server's log pipe is read on this event loop, and a blocked loop
 * lets that pipe fill until the server stalls mid-run. The Node sandbox, as bru-run.sh
 * explains: the default one races its own start-up on the first request's asserts.
 */
async function bruRun() {
  const bru = path.join(ROOT, 'tools', 'bru', 'node_modules', '.bin', 'bru');
  const dir = mkdtempSync(path.join(tmpdir(), 'algogate-bru-'));
  try {
    cpSync(collection, path.join(dir, 'c'), { recursive: true, filter: (src) => !src.includes(`${path.sep}websocket`) });
    const report = path.join(dir, 'report.json');
    try {
      await promisify(execFile)(bru, ['run', '-r', '--sandbox', 'developer', '--env', 'local', '--env-var', `host=${server.base}`, '--env-var', `apikey=${key}`,
        '--reporter-json', report], { cwd: path.join(dir, 'c'), timeout: 120000 });
    } catch (e) {
      // It exits 1 because the checks folder fails on purpose; anything else is a failure.
      if (/** @type {{ code?: unknown }} */ (e).code !== 1) throw e;
    }
    const [iteration] = JSON.parse(readFileSync(report, 'utf8'));
    // A request's own status is about sending it; its asserts decide pass or fail.
    const failed = (r) => [...(r.assertionResults || []), ...(r.testResults || [])].some((a) => a.status !== 'pass');
    const rows = iteration.results.map((r) => [r.test.filename, r.error ? 'error' : failed(r) ? 'fail' : 'pass']);
    // Why a row did not pass, for the assertion message: which checks failed, on what response.
    const why = iteration.results.filter((r) => r.error || failed(r)).map((r) => ({
      file: r.test.filename, error: r.error,
      failed: [...(r.assertionResults || []), ...(r.testResults || [])].filter((a) => a.status !== 'pass'),
      status: r.response?.status, body: JSON.stringify(r.response?.data)?.slice(0, 500),
    }));
    return { rows, why };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('the Runner runs the whole collection green and agrees with bru run', async () => {
  const page = await browser.page();
  await page.goto(`${server.base}/playground`);
  await page.waitForSelector('.pg-ep');
  await page.click('#mode-run');
  const scopes = await page.locator('#run-scope option').evaluateAll((els) => els.map((e) => e.value));
  assert.deepEqual(scopes, ['', 'account', 'data', 'orders', 'utilities', 'checks']);
  await page.click('#run-start');
  await page.waitForFunction(() => document.getElementById('run-summary').dataset.done !== undefined
    && !document.getElementById('run-start').disabled, null, { timeout: 120000 });
  const rows = await page.locator('tr.pg-run-row').evaluateAll((els) => els.map((e) => [e.dataset.file, e.dataset.result]));
  const ours = rows.filter(([f]) => !f.startsWith('checks/'));
  // Every HTTP request of the shipped collection (the WebSocket folder is not run).
  const shipped = ['account', 'data', 'orders', 'utilities']
    .flatMap((d) => readdirSync(path.join(ROOT, 'collections', d)).filter((f) => f.endsWith('.bru') && f !== 'folder.bru'));
  assert.ok(shipped.length >= 32, `${shipped.length} requests shipped`);
  assert.equal(ours.length, shipped.length);
  assert.deepEqual(ours.filter(([, r]) => r !== 'pass'), [], 'our collection runs all green');
  assert.deepEqual(rows.filter(([f]) => f.startsWith('checks/')), [['checks/wrong-status.bru', 'fail'], ['checks/health-again.bru', 'pass']]);
  const total = ours.length + 2;
  assert.match(await page.locator('#run-summary').innerText(), new RegExp(`^${total} requests: ${total - 1} passed, 1 failed, 0 errors, 0 not run`));
  await screenshot(page, 'playground-runner');

  // A failing row opens its asserts with the actual value.
  await page.click('tr.pg-run-row[data-file="checks/wrong-status.bru"]');
  assert.match(await page.locator('.pg-run-detail:not([hidden])').innerText(), /res\.status: eq 201[\s\S]*actual 200/);

  // The export: the same results, no key.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#run-export')]);
  const exported = readFileSync(await download.path(), 'utf8');
  assert.ok(!exported.includes(key), 'the export carries no key');
  const report = JSON.parse(exported);
  assert.equal(report.summary.totalRequests, total);
  assert.equal(report.environment, 'local');
  const browserRun = report.results.map((r) => [r.file, r.result]);
  assert.deepEqual(browserRun, rows);

  // bru run on the same server: the same requests, in the same order, with the same
  // pass/fail.
  const bru = await bruRun();
  assert.deepEqual(bru.rows, browserRun, JSON.stringify(bru.why, null, 1));
});

test('stop on first failure leaves the rest not run', async () => {
  const page = await browser.page();
  await page.selectOption('#run-scope', 'checks');
  await page.check('#run-stop');
  await page.click('#run-start');
  await page.waitForFunction(() => !document.getElementById('run-start').disabled
    && /not run/.test(document.getElementById('run-summary').textContent), null, { timeout: 60000 });
  assert.match(await page.locator('#run-summary').innerText(), /^2 requests: 0 passed, 1 failed, 0 errors, 1 not run/);
  assert.deepEqual(await page.locator('tr.pg-run-row').evaluateAll((els) => els.map((e) => e.dataset.result ?? 'pending')), ['fail', 'pending']);
});
