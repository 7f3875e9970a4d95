// End to end: named keys on the API Key page (a bad field named in the dialog, create with
// scopes and limits, listed with its policy, copy, use it: a refused scope is the 403 and
// lands in the audit log, the Playground fills it in, rotate, revoke) and the account
// page's GTT tab (listed with its triggers, a bad modification named, modify, cancel, a
// new GTT appearing without a reload), and the TradingView page's one-click alert key.
// Screenshots in both themes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { apiCall, noteSecret, ping, screenshot, setupAndLogin, startBrowser, startServer } from '../lib.mjs';

const USER = 'trader';
const PASSWORD = 'E2e-K3ys-And-Gtt!';
let server;
let browser;
const secrets = [PASSWORD];

before(async () => {
  noteSecret(PASSWORD);
  server = await startServer();
  browser = await startBrowser();
  await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.base });
});

after(async () => {
  await browser?.close();
  const log = server?.log() ?? '';
  await server?.stop();
  for (const s of secrets) {
    noteSecret(s);
    assert.ok(!log.includes(s), `a secret (${s.slice(0, 4)}…) appeared in the server output`);
  }
});

/** The key the secret dialog shows, after it opens; the dialog is closed after. */
async function secretFromDialog(page) {
  await page.waitForSelector('#secret-dialog[open]');
  const key = (await page.textContent('#secret-value')).trim();
  assert.match(key, /^[0-9a-f]{64}$/);
  secrets.push(key);
  noteSecret(key);
  return key;
}

let primary;

test('named keys: create, list, use, audit, playground, rotate, revoke', async () => {
  const page = await browser.page();
  await setupAndLogin(page, server, USER, PASSWORD);
  ({ api_key: primary } = await page.evaluate(() => fetch('/apikey', { headers: { Accept: 'application/json' } }).then((r) => r.json())));
  secrets.push(primary);
  noteSecret(primary);
  await page.waitForSelector('#keys-empty:not([hidden])');

  // A bad field is named, marked, and nothing is created.
  await page.click('#new-key');
  await page.waitForSelector('#create-dialog[open]');
  await page.fill('#key-name', 'reader');
  await page.fill('#key-max-qty', '0');
  await page.click('#create-save');
  await page.waitForFunction(() => document.getElementById('create-error').textContent !== '');
  assert.equal(await page.textContent('#create-error'), 'max_qty: must be a positive whole number');
  assert.ok(await page.locator('#key-max-qty.invalid').count() === 1, 'the field is marked');
  await page.fill('#key-symbols', 'SBIN');
  await page.fill('#key-max-qty', '5');
  await page.click('#create-save');
  await page.waitForFunction(() => /^symbols:/.test(document.getElementById('create-error').textContent || ''));
  assert.ok(await page.locator('#key-symbols.invalid').count() === 1);

  // Scopes data and account only, limits, semi-auto.
  await page.fill('#key-symbols', 'NSE:SBIN, NSE:TCS');
  for (const s of ['place', 'modify', 'cancel', 'close']) await page.uncheck(`#key-scopes input[value="${s}"]`);
  await page.selectOption('#key-mode', 'semi_auto');
  await page.fill('#key-max-value', '50000');
  await page.fill('#key-ips', '10.0.0.0/8');
  await screenshot(page, 'apikey-create');
  await page.click('#create-save');
  const reader = await secretFromDialog(page);
  await page.click('#secret-copy');
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), reader);
  await page.click('#secret-close');
  // The dialog's close event (a task after the click) takes the secret out of the DOM.
  await page.waitForFunction(() => document.getElementById('secret-value')?.textContent === '', null, { timeout: 5000 });

  // Listed with its policy, no secret on the page.
  const row = page.locator('#keys-table tr[data-key="reader"]');
  await row.waitFor();
  assert.equal(await row.locator('.scopes').textContent(), 'data, account');
  assert.equal(await row.locator('.mode').textContent(), 'Semi-Auto');
  const limits = await row.locator('.limits').textContent();
  for (const part of ['symbols=NSE:SBIN,NSE:TCS', 'max_qty=5', 'max_value=50000', 'allow_ip=10.0.0.0/8']) {
    assert.ok(limits.includes(part), `${part} in ${limits}`);
  }
  assert.equal(await row.locator('.last-used').textContent(), 'never');
  assert.ok(!(await page.content()).includes(reader), 'the key is not in the DOM');

  // A second key of the same name is refused, naming the field.
  await page.click('#new-key');
  await page.fill('#key-name', 'reader');
  await page.click('#create-save');
  await page.waitForFunction(() => /already exists/.test(document.getElementById('create-error').textContent || ''));
  assert.ok(await page.locator('#key-name.invalid').count() === 1);
  await page.click('#create-cancel');

  // The key works within its scopes; a refused scope is the 403, with nothing placed.
  assert.equal(await ping(server.base, reader), 200);
  const refused = await apiCall(server.base, 'placeorder', {
    apikey: reader, strategy: 'e2e', exchange: 'NSE', symbol: 'SBIN', action: 'BUY', quantity: 1,
  });
  assert.equal(refused.status, 403);
  assert.deepEqual(refused.body, { status: 'error', message: "This API key lacks the 'place' scope" });
  const book = await apiCall(server.base, 'orderbook', { apikey: primary });
  assert.equal(book.body.data.orders.length, 0);

  // Reveal shows the same key; the audit log has the creation and the refusal.
  await row.locator('.reveal').click();
  assert.equal(await secretFromDialog(page), reader);
  await page.click('#secret-close');
  await page.click('#audit-refresh');
  await page.waitForSelector('#audit-table tr[data-event="denied"]');
  assert.match(await page.textContent('#audit-table tr[data-event="denied"] .detail'), /lacks the 'place' scope/);
  assert.equal(await page.locator('#audit-table tr[data-event="created"]').count(), 1);

  // The Playground fills in the picked key, and the primary one again.
  await page.goto(`${server.base}/playground`);
  await page.waitForSelector('#key-pick option[value="reader"]', { state: 'attached' });
  assert.equal(await page.inputValue('#key-field'), primary);
  await page.selectOption('#key-pick', 'reader');
  await page.waitForFunction((k) => document.getElementById('key-field').value === k, reader);
  await page.reload();
  await page.waitForFunction((k) => document.getElementById('key-field').value === k, reader);
  // The choice lasts in the tab: the picker shows it once the key list has loaded.
  await page.waitForFunction(() => document.getElementById('key-pick').value === 'reader');
  await page.selectOption('#key-pick', '');
  await page.waitForFunction((k) => document.getElementById('key-field').value === k, primary);

  // Rotate with a grace period: both secrets work; then without: only the new one.
  await page.goto(`${server.base}/apikey`);
  await row.waitFor();
  await row.locator('.rotate').click();
  await page.waitForSelector('#rotate-dialog[open]');
  await page.selectOption('#rotate-grace', '3600');
  await page.click('#rotate-ok');
  const second = await secretFromDialog(page);
  assert.match(await page.textContent('#secret-note'), /works for 3600 more seconds/);
  await page.click('#secret-close');
  assert.notEqual(second, reader);
  assert.equal(await ping(server.base, second), 200);
  assert.equal(await ping(server.base, reader), 200, 'the old secret works during the grace period');
  await row.locator('.key-state.warn').waitFor();
  await row.locator('.rotate').click();
  await page.selectOption('#rotate-grace', '0');
  await page.click('#rotate-ok');
  const third = await secretFromDialog(page);
  await page.click('#secret-close');
  assert.equal(await ping(server.base, third), 200);
  assert.equal(await ping(server.base, second), 403);
  assert.equal(await ping(server.base, reader), 403);

  // Revoke, confirmed: the key fails on its next request.
  await row.locator('.revoke').click();
  await page.waitForSelector('#confirm-dialog[open]');
  assert.match(await page.textContent('#confirm-title'), /Revoke reader/);
  await page.click('#confirm-ok');
  await page.waitForSelector('#keys-table tr[data-key="reader"]', { state: 'detached' });
  assert.equal(await ping(server.base, third), 403);
  assert.equal(await ping(server.base, primary), 200, 'the primary key is untouched');
  await page.waitForSelector('#audit-table tr[data-event="revoked"]');
  assert.equal(await page.locator('#audit-table tr[data-event="rotated"]').count(), 2);
  await screenshot(page, 'apikey-named');
  assert.deepEqual(browser.problems, []);
});

test('account page: GTTs listed with their triggers, modified, cancelled', async () => {
  const page = await browser.page();
  const place = (extra) => apiCall(server.base, 'placegttorder', {
    apikey: primary, strategy: 'e2e', trigger_type: 'SINGLE', exchange: 'NSE', symbol: 'SBIN',
    action: 'BUY', product: 'CNC', quantity: 10, pricetype: 'LIMIT', price: 1.0,
    triggerprice_sl: 1.0, triggerprice_tg: 0, ...extra,
  });
  const single = await place({});
  assert.equal(single.status, 200, JSON.stringify(single.body));
  const id = single.body.trigger_id;

  await page.goto(`${server.base}/account#gtt`);
  const row = page.locator(`#gtt-table tr[data-trigger-id="${id}"]`);
  await row.waitFor();
  assert.equal(await row.locator('.qty').textContent(), '10');
  assert.equal(await row.locator('.triggers').textContent(), '≤ 1.00 → 1.00');

  // A bad trigger is refused with the field named; nothing changes.
  await row.locator('.modify').click();
  await page.waitForSelector('#gtt-dialog[open]');
  await page.fill('#gtt-trigger-0', '0');
  await page.click('#gtt-save');
  await page.waitForFunction(() => document.getElementById('gtt-error').textContent !== '');
  assert.equal(await page.textContent('#gtt-error'), 'legs[0].trigger_price must be a positive number');
  await page.fill('#gtt-trigger-0', '2');
  await page.fill('#gtt-price-0', '1.5');
  await page.fill('#gtt-quantity', '7');
  await page.click('#gtt-save');
  await page.waitForSelector('#gtt-dialog', { state: 'hidden' });
  await page.waitForFunction((tid) => document.querySelector(`#gtt-table tr[data-trigger-id="${tid}"] .qty`)?.textContent === '7', id);
  assert.equal(await row.locator('.triggers').textContent(), '≤ 2.00 → 1.50');
  const gbook = await apiCall(server.base, 'gttorderbook', { apikey: primary });
  assert.deepEqual(gbook.body.data.map((g) => [g.trigger_id, g.trigger_prices, g.legs[0].quantity]), [[id, [2], 7]]);

  // An OCO placed meanwhile appears without a reload, with both legs.
  const oco = await place({
    trigger_type: 'OCO', action: 'SELL', triggerprice_sl: 1.0, stoploss: 1.0,
    triggerprice_tg: 100000, target: 100000,
  });
  assert.equal(oco.status, 200, JSON.stringify(oco.body));
  const ocoRow = page.locator(`#gtt-table tr[data-trigger-id="${oco.body.trigger_id}"]`);
  await ocoRow.waitFor({ timeout: 15000 });
  assert.equal(await ocoRow.locator('.triggers').textContent(), '≤ 1.00 → 1.00 · ≥ 1,00,000.00 → 1,00,000.00');
  await ocoRow.locator('.modify').click();
  await page.fill('#gtt-trigger-0', '200000');
  await page.click('#gtt-save');
  await page.waitForFunction(() => /stoploss trigger must be less/.test(document.getElementById('gtt-error').textContent || ''));
  await page.click('#gtt-cancel');
  await screenshot(page, 'account-gtt');

  // Cancel, confirmed: it leaves the list and the book.
  await row.locator('.cancel').click();
  await page.waitForSelector('#confirm-dialog[open]');
  await page.click('#confirm-ok');
  await row.waitFor({ state: 'detached' });
  const after = await apiCall(server.base, 'gttorderbook', { apikey: primary });
  assert.deepEqual(after.body.data.map((g) => g.trigger_id), [oco.body.trigger_id]);
  assert.deepEqual(browser.problems, []);
});

test('the TradingView page makes a key limited to the alert in one click', async () => {
  const page = await browser.page();
  await page.goto(`${server.base}/tradingview`);
  await page.fill('#tv-symbol', 'SBI');
  const hit = page.locator('#tv-suggestions li[data-symbol="SBIN"][data-exchange="NSE"]');
  await hit.waitFor();
  await hit.click();
  await page.click('#mode-line');
  await page.fill('#tv-quantity', '3');
  await page.waitForFunction((k) => document.getElementById('tv-json').textContent.includes(k), primary);
  assert.match(await page.textContent('#tv-key-note'), /primary key/);

  await page.click('#tv-make-key');
  await page.waitForFunction((k) => {
    const t = document.getElementById('tv-json').textContent;
    return /"apikey": "[0-9a-f]{64}"/.test(t) && !t.includes(k);
  }, primary);
  const limited = JSON.parse(await page.textContent('#tv-json')).apikey;
  secrets.push(limited);
  noteSecret(limited);
  assert.equal(await page.textContent('#tv-key-note'),
    'The alert uses key tv-nse-sbin: it may only place MIS orders, for NSE:SBIN, at most 3 per order. Manage it on the API Key page.');

  // The test alert places with it; the key refuses what the alert does not do.
  await page.click('#tv-test');
  await page.waitForFunction(() => /^HTTP 200/.test(document.getElementById('tv-result').textContent || ''));
  const order = (extra) => apiCall(server.base, 'placeorder', {
    apikey: limited, strategy: 'e2e', exchange: 'NSE', symbol: 'SBIN', action: 'BUY', quantity: 3, product: 'MIS', ...extra,
  });
  assert.equal((await order({ quantity: 4 })).status, 403);
  assert.equal((await order({ product: 'CNC' })).status, 403);
  assert.equal((await order({ symbol: 'TCS' })).status, 403);
  assert.equal((await apiCall(server.base, 'funds', { apikey: limited })).status, 403);

  // Changing the alert says the key no longer fits; a second key gets the next name.
  await page.fill('#tv-quantity', '5');
  assert.match(await page.textContent('#tv-key-note'), /make a new key/);
  await page.click('#tv-make-key');
  await page.waitForFunction(() => /tv-nse-sbin-2/.test(document.getElementById('tv-key-note').textContent || ''));
  secrets.push(JSON.parse(await page.textContent('#tv-json')).apikey);

  await page.goto(`${server.base}/apikey`);
  const row = page.locator('#keys-table tr[data-key="tv-nse-sbin"]');
  await row.waitFor();
  assert.equal(await row.locator('.scopes').textContent(), 'place');
  assert.equal(await row.locator('.limits').textContent(), 'symbols=NSE:SBIN products=MIS max_qty=3');
  await page.locator('#keys-table tr[data-key="tv-nse-sbin-2"]').waitFor();
  assert.deepEqual(browser.problems, []);
});
