// End to end: the API Playground. Log in, search, send ping / funds / placeorder and a
// bad request, copy a cURL and run it, then the WebSocket tester: connect, authenticate,
// subscribe LTP, ticks in the log, export. The key never appears in the page's HTML or in
// any response except the two key routes. Screenshots in e2e/artifacts/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, noteSecret, screenshot, setupAndLogin, startBrowser, startServer } from '../lib.mjs';

const USER = 'admin';
const PASSWORD = 'Pl4yground-Passw0rd!';
let server;
let browser;
let key = '';
const leaks = [];

before(async () => {
  server = await startServer({ ALGOGATE_COLLECTIONS_DIR: path.join(ROOT, 'collections'), ALGOGATE_MARKET_TICK_MS: '200' });
  browser = await startBrowser();
  await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.base });
});

after(async () => {
  await browser?.close();
  const log = server?.log() ?? '';
  await server?.stop();
  noteSecret(key);
  noteSecret(PASSWORD);
  if (key) assert.ok(!log.includes(key), 'the API key appeared in the server output');
  assert.ok(!log.includes(PASSWORD), 'the password appeared in the server output');
});

function responseJson(page) {
  return page.locator('#response').innerText().then((t) => JSON.parse(t.replace(/^\s*\d+ ?/gm, '')));
}

/** Sends (by default with the Send button) and waits until the answer is rendered. The
 * request itself is the signal: the shown time can repeat from one request to the next. */
async function sendAndWait(page, trigger = () => page.click('#send')) {
  const answered = page.waitForResponse((r) => new URL(r.url()).pathname.startsWith('/api/'));
  await trigger();
  await answered;
  await page.waitForFunction(() => document.getElementById('loading').hidden);
}

/**
 * Runs a copied command and parses its output. Not synchronously: the server's log pipe
 * is read on this event loop, so blocking it can stall the server the command calls.
 * @param {string} cmd
 */
async function runShell(cmd) {
  const { stdout } = await promisify(execFile)('bash', ['-c', cmd], { encoding: 'utf8', timeout: 30000 });
  return JSON.parse(stdout);
}

test('REST mode: endpoints, send, errors, cURL, history; the key stays out of the HTML', async () => {
  const page = await browser.page();
  await setupAndLogin(page, server, USER, PASSWORD);

  // Every response body is checked for the key, except the two routes that carry it.
  const bodies = [];
  page.on('response', async (r) => {
    const p = new URL(r.url()).pathname;
    try { bodies.push([p, await r.text()]); } catch { /* redirects, aborted */ }
  });

  const html = await page.goto(`${server.base}/playground`);
  const source = await html.text();
  await page.waitForSelector('.pg-ep');
  key = await page.inputValue('#key-field');
  assert.match(key, /^[0-9a-f]{64}$/);
  assert.ok(!source.includes(key), 'the key is not in the HTML source');
  assert.ok(source.includes('id="playground"') || source.includes('id="pg"'));

  // Categories in OpenAlgo's order; data/utilities/websocket start collapsed.
  const cats = await page.locator('.pg-cat').evaluateAll((els) => els.map((e) => e.dataset.category));
  assert.deepEqual(cats, ['account', 'orders', 'data', 'utilities', 'websocket']);
  assert.equal(await page.locator('.pg-cat[data-category="data"] .pg-ep').count(), 0);

  // Search filters names and paths and opens matching categories.
  await page.fill('#search', 'ping');
  await page.waitForFunction(() => document.querySelectorAll('.pg-cat').length === 2);
  assert.deepEqual(await page.locator('.pg-cat').evaluateAll((els) => els.map((e) => e.dataset.category)), ['utilities', 'websocket']);
  await page.click('.pg-cat[data-category="utilities"] .pg-ep:has-text("Ping")  >> nth=0');
  const pingBody = JSON.parse(await page.inputValue('#body'));
  assert.equal(pingBody.apikey, key, 'the key is filled in');
  await sendAndWait(page);
  assert.equal(await page.locator('#status').innerText(), '200 OK');
  assert.deepEqual(await responseJson(page), { status: 'success', data: { message: 'pong', broker: 'sandbox' } });
  await page.fill('#search', '');

  // Funds.
  await page.click('.pg-cat[data-category="account"] .pg-ep:has-text("Funds")');
  await sendAndWait(page);
  assert.equal(await page.locator('#status').innerText(), '200 OK');
  assert.equal((await responseJson(page)).status, 'success');

  // Place an order (Ctrl+Enter sends).
  await page.click('.pg-cat[data-category="orders"] .pg-ep:has-text("Place Order")');
  await page.locator('#body').focus();
  await sendAndWait(page, () => page.keyboard.press('Control+Enter'));
  const placed = await responseJson(page);
  assert.equal(placed.status, 'success', JSON.stringify(placed));
  assert.match(placed.orderid, /^\d+$/);
  await screenshot(page, 'playground-rest');

  // A bad request: the 4xx body is shown clearly.
  await page.fill('#body', JSON.stringify({ apikey: key, symbol: 'SBIN' }, null, 2));
  assert.equal(await page.locator('.pg-tab[aria-selected="true"] .pg-dot').count(), 1, 'modified marker');
  await sendAndWait(page);
  assert.equal(await page.locator('#status').innerText(), '400 Error');
  const errText = await page.locator('#error-view').innerText();
  assert.match(errText, /^HTTP 400: .*Missing data for required field/);
  await screenshot(page, 'playground-error');

  // Only our /api/ routes can be called.
  await page.fill('#path', 'https://example.com/api/v1/ping');
  await page.click('#send');
  await page.waitForSelector('.toast.error');
  await page.fill('#path', '/api/v1/placeorder');

  // Copy the cURL of the valid order and run it: it succeeds.
  await page.click('#reset-body');
  await page.click('#copy-curl');
  const cmd = await page.evaluate(() => navigator.clipboard.readText());
  assert.match(cmd, /^curl -X POST "http:\/\/127\.0\.0\.1:\d+\/api\/v1\/placeorder"/);
  const out = await runShell(cmd);
  assert.equal(out.status, 'success', JSON.stringify(out));

  // Snippets: the SDK call uses the SDK's argument names.
  await page.click('button[data-pane="code"]');
  await page.selectOption('#code-lang', 'sdk');
  const snippet = await page.locator('#code').innerText();
  assert.match(snippet, /from openalgo import api/);
  assert.match(snippet, /client\.placeorder\(/);
  assert.match(snippet, /price_type="MARKET"/);
  // The header forms: the key leaves the body for X-API-KEY, and the command still works.
  await page.selectOption('#code-lang', 'curl-header');
  const headerCmd = await page.locator('#code').innerText();
  assert.ok(headerCmd.includes(`-H 'X-API-KEY: ${key}'`), headerCmd);
  assert.ok(!headerCmd.includes('"apikey"'), headerCmd);
  const headerOut = await runShell(headerCmd);
  assert.equal(headerOut.status, 'success', JSON.stringify(headerOut));
  await page.selectOption('#code-lang', 'requests-header');
  const pyHeader = await page.locator('#code').innerText();
  assert.match(pyHeader, /"X-API-KEY": "[0-9a-f]{64}"/);
  assert.ok(!pyHeader.includes('"apikey"'), pyHeader);

  // History keeps requests without the key, and replays them with it.
  const stored = await page.evaluate(() => localStorage.getItem('algogate-playground-history'));
  assert.ok(stored && !stored.includes(key), 'history never stores the key');
  assert.ok(JSON.parse(stored).length >= 4);
  await page.click('#history-box summary');
  await page.click('#history li:last-child button');
  assert.equal(JSON.parse(await page.inputValue('#body')).apikey, key);
  await page.click('#history-clear');
  assert.equal(await page.locator('#history li').count(), 0);

  for (const [p, text] of bodies) {
    if (p === '/playground/api-key' || p === '/apikey') continue;
    if (p.startsWith('/api/v1/')) continue; // responses of the requests sent, no key in them
    assert.ok(!text.includes(key), `the key appeared in the response of ${p}`);
  }
  assert.deepEqual(browser.problems, []);
});

test('WebSocket mode: connect, authenticate, subscribe LTP, ticks, ping, export', async () => {
  const page = await browser.page();
  await page.goto(`${server.base}/playground`);
  await page.waitForSelector('.pg-ep');
  await page.click('#mode-ws');
  await page.click('#ws-connect');
  await page.waitForSelector('#ws-status[data-state="authenticated"]');
  // The authenticate message went out automatically, with the key redacted in the log.
  await page.waitForFunction(() => document.getElementById('ws-log').textContent.includes('Authentication successful'), null, { timeout: 5000 });
  const logText = await page.locator('#ws-log').innerText();
  assert.match(logText, /SENT.*"action":"authenticate"/);
  assert.ok(!logText.includes(key));

  // Subscribe LTP from the sidebar's websocket entry.
  await page.click('.pg-cat[data-category="websocket"] .pg-cat-head');
  await page.click('.pg-cat[data-category="websocket"] .pg-ep:has-text("Subscribe LTP")');
  assert.match(await page.inputValue('#ws-message'), /"action": "subscribe"/);
  await page.locator('#ws-message').focus();
  await page.keyboard.press('Control+Enter');
  await page.waitForFunction(() => [...document.querySelectorAll('#ws-log li')].some((li) => li.textContent.includes('market_data')), null, { timeout: 15000 });
  await page.fill('#ws-filter', 'market_data');
  const ticks = await page.locator('#ws-log li[data-direction="RECEIVED"]').count();
  assert.ok(ticks >= 1);
  await page.fill('#ws-filter', '');

  // Ping shows a latency.
  await page.click('#ws-ping');
  await page.waitForFunction(() => /\d/.test(document.getElementById('ws-last').textContent));

  // A template from the picker fills {{API_KEY}}/{{TIMESTAMP}} on send.
  await page.selectOption('#ws-template', { label: 'Ping (Latency Test)' });
  assert.match(await page.inputValue('#ws-message'), /\{\{TIMESTAMP\}\}/);
  await page.click('#ws-send');
  await page.waitForFunction(() => [...document.querySelectorAll('#ws-log li')].some((li) => li.textContent.includes('"type":"pong"')));
  await screenshot(page, 'playground-ws');

  // Export.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#ws-export')]);
  assert.match(download.suggestedFilename(), /^websocket-messages-\d+\.json$/);
  const doc = JSON.parse(readFileSync(await download.path(), 'utf8'));
  assert.equal(doc.totalMessages, doc.messages.length);
  assert.ok(doc.messages.some((m) => m.direction === 'RECEIVED' && m.data.type === 'market_data'));
  assert.ok(!JSON.stringify(doc).includes(key), 'the export never contains the key');

  await page.click('#ws-connect');
  await page.waitForSelector('#ws-status[data-state="disconnected"]');
  // The log renders on the next animation frame, after the badge changes.
  await page.waitForFunction(() => document.getElementById('ws-log').textContent.includes('Disconnected by user'), null, { timeout: 5000 });
  assert.deepEqual(browser.problems, []);
});
