// End to end: editing a named key's policy on the API Key page. The create dialog opens
// pre-filled for the key (name read-only), a bad value keeps it open with the server's
// field error, a save sends only the fields the user changed and the very next API
// request obeys the edit, while untouched limits (the expiry among them, which the input
// shows only to the minute) keep their values; an emptied field removes its limit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { apiCall, noteSecret, screenshot, setupAndLogin, startBrowser, startServer } from '../lib.mjs';

const USER = 'editor';
const PASSWORD = 'E2e-Ed1t-A-Key!';
let server;
let browser;
const secrets = [PASSWORD];

before(async () => {
  noteSecret(PASSWORD);
  server = await startServer();
  browser = await startBrowser();
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

/** The named key `name` as `GET /apikey/keys` lists it, fetched over the page's session. */
async function listed(page, name) {
  const r = await page.evaluate(() => fetch('/apikey/keys', { headers: { Accept: 'application/json' } }).then((x) => x.json()));
  return r.keys.find((k) => k.name === name);
}

/** A local wall time as the server's policy line shows it (UTC, RFC 3339 to the second). */
function isoSeconds(local) {
  return new Date(local).toISOString().replace('.000Z', '+00:00');
}

/** The values of the ticked boxes of a group in the dialog. */
function ticked(page, group) {
  return page.$$eval(`#${group} input[type="checkbox"]`, (boxes) => boxes.filter((b) => b.checked).map((b) => b.value));
}

/**
 * Clicks the dialog's save and waits for the outcome (the dialog closed, or the answer in
 * and its error shown: the submit clears the previous one and disables the button until
 * then); the PATCH bodies sent (none when nothing changed).
 */
async function save(page) {
  const sent = [];
  const onRequest = (r) => {
    if (r.method() === 'PATCH') sent.push(r.postDataJSON());
  };
  page.on('request', onRequest);
  await page.click('#create-save');
  await page.waitForFunction(() => !document.getElementById('create-dialog').open
    || (document.getElementById('create-error').textContent !== ''
      && !document.getElementById('create-save').disabled));
  page.off('request', onRequest);
  return sent;
}

test('a named key is edited in the dialog and the next request obeys the edit', async () => {
  const page = await browser.page();
  await setupAndLogin(page, server, USER, PASSWORD);
  const { api_key: primary } = await page.evaluate(() => fetch('/apikey', { headers: { Accept: 'application/json' } }).then((r) => r.json()));
  secrets.push(primary);
  noteSecret(primary);

  // Create: data, account and place; two symbols; MIS and CNC; limits; an expiry with seconds.
  await page.click('#new-key');
  await page.waitForSelector('#create-dialog[open]');
  assert.equal(await page.getAttribute('#key-name', 'readonly'), null);
  assert.deepEqual(await ticked(page, 'key-products'), [], 'no product limit by default');
  await page.fill('#key-name', 'bot');
  for (const s of ['modify', 'cancel', 'close']) await page.uncheck(`#key-scopes input[value="${s}"]`);
  await page.fill('#key-symbols', 'NSE:SBIN, NSE:TCS');
  await page.check('#key-products input[value="MIS"]');
  await page.check('#key-products input[value="CNC"]');
  await page.fill('#key-max-qty', '10');
  await page.fill('#key-max-value', '100000');
  await page.fill('#key-max-orders', '50');
  await page.fill('#key-expires', '2099-06-01T10:30:45');
  await page.click('#create-save');
  await page.waitForSelector('#secret-dialog[open]');
  const key = (await page.textContent('#secret-value')).trim();
  assert.match(key, /^[0-9a-f]{64}$/);
  secrets.push(key);
  noteSecret(key);
  await page.click('#secret-close');
  const row = page.locator('#keys-table tr[data-key="bot"]');
  await row.waitFor();
  assert.equal(await row.locator('.limits').textContent(),
    `symbols=NSE:SBIN,NSE:TCS products=MIS,CNC max_qty=10 max_value=100000 max_orders_per_day=50 expires=${isoSeconds('2099-06-01T10:30:45')}`);
  const before = await listed(page, 'bot');
  assert.equal(new Date(before.expires_at).getSeconds(), 45, 'the expiry kept its seconds');
  const expiresText = await row.locator('.expires').textContent();

  const order = (extra) => apiCall(server.base, 'placeorder', {
    apikey: key, strategy: 'e2e', exchange: 'NSE', symbol: 'SBIN', action: 'BUY', quantity: 5,
    pricetype: 'LIMIT', price: 100, product: 'CNC', ...extra,
  });
  const first = await order({});
  assert.equal(first.status, 200, JSON.stringify(first.body));

  // Edit opens the same dialog, filled in from the list; the name cannot change.
  await page.getByRole('button', { name: 'Edit key bot' }).click();
  await page.waitForSelector('#create-dialog[open]');
  assert.equal(await page.textContent('#create-title'), 'Edit key bot');
  assert.equal(await page.getByRole('dialog', { name: 'Edit key bot' }).count(), 1);
  assert.equal(await page.getByLabel('Max quantity per order').inputValue(), '10');
  assert.equal(await page.textContent('#create-save'), 'Save changes');
  assert.equal(await page.inputValue('#key-name'), 'bot');
  assert.notEqual(await page.getAttribute('#key-name', 'readonly'), null);
  assert.deepEqual(await ticked(page, 'key-scopes'), ['data', 'account', 'place']);
  assert.deepEqual(await ticked(page, 'key-products'), ['MIS', 'CNC']);
  assert.equal(await page.inputValue('#key-mode'), 'auto');
  assert.equal(await page.inputValue('#key-symbols'), 'NSE:SBIN, NSE:TCS');
  assert.equal(await page.inputValue('#key-max-qty'), '10');
  assert.equal(await page.inputValue('#key-max-value'), '100000');
  assert.equal(await page.inputValue('#key-max-orders'), '50');
  assert.equal(await page.inputValue('#key-expires'), '2099-06-01T10:30');
  assert.equal(await page.inputValue('#key-ips'), '');
  assert.equal(await page.isVisible('#edit-note'), true);

  // A bad number is the server's field error; the dialog stays open and nothing changes.
  await page.fill('#key-max-qty', 'abc');
  let sent = await save(page);
  assert.deepEqual(sent, [{ max_qty: 'abc' }]);
  assert.equal(await page.textContent('#create-error'), 'max_qty: must be a positive whole number');
  assert.equal(await page.locator('#key-max-qty.invalid[aria-invalid="true"]').count(), 1, 'the field is marked');
  assert.equal(await page.evaluate(() => document.getElementById('create-dialog').open), true);
  // So is a bad CIDR.
  await page.fill('#key-max-qty', '3');
  await page.fill('#key-ips', '10.0.0.0/99');
  sent = await save(page);
  assert.equal(sent.length, 1);
  assert.match(await page.textContent('#create-error'), /^allow-ip: "10\.0\.0\.0\/99"/);
  assert.equal(await page.locator('#key-ips.invalid').count(), 1);
  assert.equal(await page.locator('#key-max-qty.invalid').count(), 0, 'only the named field is marked');
  assert.equal((await listed(page, 'bot')).max_qty, 10, 'a refused edit changes nothing');

  // The edit: max qty 3, CNC unticked, account swapped for modify. Only those are sent.
  await page.fill('#key-ips', '');
  await page.uncheck('#key-products input[value="CNC"]');
  await page.uncheck('#key-scopes input[value="account"]');
  await page.check('#key-scopes input[value="modify"]');
  await screenshot(page, 'apikey-edit');
  sent = await save(page);
  assert.deepEqual(sent, [{ scopes: ['data', 'place', 'modify'], products: ['MIS'], max_qty: '3' }]);
  await page.waitForSelector('#create-dialog', { state: 'hidden' });
  await page.waitForFunction(() => document.querySelector('#keys-table tr[data-key="bot"] .limits')?.textContent.includes('max_qty=3'));
  assert.equal(await row.locator('.scopes').textContent(), 'data, place, modify');
  assert.equal(await row.locator('.limits').textContent(),
    `symbols=NSE:SBIN,NSE:TCS products=MIS max_qty=3 max_value=100000 max_orders_per_day=50 expires=${isoSeconds('2099-06-01T10:30:45')}`);
  assert.equal(await row.locator('.expires').textContent(), expiresText);
  const after = await listed(page, 'bot');
  assert.equal(after.expires_at, before.expires_at, 'the untouched expiry kept its seconds');
  assert.equal(after.max_orders_per_day, 50);

  // The key's very next requests obey the edit; what was not edited still holds.
  const limited = (message) => ({ status: 403, body: { status: 'error', message } });
  assert.deepEqual(await order({ quantity: 4, product: 'MIS' }),
    limited("Order quantity exceeds this API key's maximum quantity per order of 3"));
  assert.deepEqual(await order({ quantity: 2, product: 'CNC' }),
    limited('This API key is not allowed to trade product CNC (allowed products limit)'));
  assert.deepEqual(await order({ quantity: 2, product: 'MIS', symbol: 'INFY' }),
    limited('This API key is not allowed to trade NSE:INFY (allowed symbols limit)'));
  assert.deepEqual(await apiCall(server.base, 'funds', { apikey: key }), limited("This API key lacks the 'account' scope"));
  const placed = await order({ quantity: 3, product: 'MIS' });
  assert.equal(placed.status, 200, JSON.stringify(placed.body));
  const book = await apiCall(server.base, 'orderbook', { apikey: primary });
  assert.equal(book.body.data.orders.length, 2, 'the refused orders placed nothing');

  // Saving without a change sends nothing.
  await row.locator('.edit').click();
  await page.waitForSelector('#create-dialog[open]');
  assert.deepEqual(await ticked(page, 'key-products'), ['MIS']);
  assert.equal(await page.inputValue('#key-max-qty'), '3');
  assert.deepEqual(await save(page), []);

  // Emptied fields remove their limits; the mode changes too.
  await row.locator('.edit').click();
  await page.waitForSelector('#create-dialog[open]');
  await page.fill('#key-max-orders', '');
  await page.fill('#key-expires', '');
  await page.uncheck('#key-products input[value="MIS"]');
  await page.selectOption('#key-mode', 'semi_auto');
  sent = await save(page);
  assert.deepEqual(sent, [{ mode: 'semi_auto', products: [], max_orders_per_day: '', expires: '' }]);
  await page.waitForFunction(() => document.querySelector('#keys-table tr[data-key="bot"] .expires')?.textContent === 'never');
  assert.equal(await row.locator('.mode').textContent(), 'Semi-Auto');
  assert.equal(await row.locator('.limits').textContent(), 'symbols=NSE:SBIN,NSE:TCS max_qty=3 max_value=100000');

  // The audit log has the two edits, not the refused ones.
  await page.waitForFunction(() => document.querySelectorAll('#audit-table tr[data-event="updated"]').length === 2);
  assert.equal(await page.locator('#audit-table tr[data-event="denied"]').count(), 4, 'the four refusals');

  // The dialog opened for a new key again is the empty create form.
  await page.click('#new-key');
  await page.waitForSelector('#create-dialog[open]');
  assert.equal(await page.textContent('#create-title'), 'New named key');
  assert.equal(await page.inputValue('#key-name'), '');
  assert.equal(await page.getAttribute('#key-name', 'readonly'), null);
  assert.equal(await page.inputValue('#key-mode'), '', 'the mode is the account\'s again');
  assert.equal(await page.inputValue('#key-max-qty'), '');
  assert.deepEqual(await ticked(page, 'key-scopes'), ['data', 'account', 'place', 'modify', 'cancel', 'close']);
  assert.deepEqual(await ticked(page, 'key-products'), []);
  assert.equal(await page.isVisible('#edit-note'), false);
  await page.click('#create-cancel');
  assert.deepEqual(browser.problems, []);
});
