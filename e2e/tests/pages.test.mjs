// End to end: the paper account page follows orders placed with the user's key live,
// cancels a resting LIMIT order and closes a position; the TradingView page builds the
// alert JSON for both modes and its test alert places orders; the security page bans and
// unbans an IP. No secret in the server's output.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { noteSecret, screenshot, startBrowser, startServer } from '../lib.mjs';

const USER = 'pagesadmin';
const PASSWORD = 'Pages-E2e-Passw0rd!';
let server;
let browser;
let page;
let key;

async function api(name, body) {
  const r = await fetch(`${server.base}/api/v1/${name}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ apikey: key, ...body }),
  });
  return { status: r.status, body: await r.json() };
}

async function placeorder(extra) {
  const r = await api('placeorder', {
    strategy: 'e2e', symbol: 'SBIN', exchange: 'NSE', action: 'BUY', quantity: '5',
    pricetype: 'MARKET', product: 'MIS', ...extra,
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.orderid;
}

before(async () => {
  server = await startServer();
  browser = await startBrowser();
  await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.base });
  page = await browser.page();
  await page.goto(server.setupUrl);
  await page.fill('#username', USER);
  await page.fill('#password', PASSWORD);
  await page.fill('#confirm', PASSWORD);
  await page.click('#setup-submit');
  await page.waitForURL(/\/login/);
  await page.fill('#username', USER);
  await page.fill('#password', PASSWORD);
  await page.click('#login-submit');
  await page.waitForURL(/\/apikey$/);
  key = await page.evaluate(() => fetch('/apikey', { headers: { Accept: 'application/json' } })
    .then((r) => r.json()).then((b) => b.api_key));
  assert.match(key, /^[0-9a-f]{64}$/);
});

after(async () => {
  await browser?.close();
  const log = server?.log() ?? '';
  await server?.stop();
  assert.deepEqual(browser?.problems ?? [], []);
  for (const s of [key, PASSWORD].filter(Boolean)) {
    noteSecret(s);
    assert.ok(!log.includes(s), `a secret (${s.slice(0, 4)}…) appeared in the server output`);
  }
});

test('the account page shows orders live, cancels a LIMIT order and closes a position', async () => {
  await page.goto(`${server.base}/account#orders`);
  await page.waitForSelector('#live[data-state="live"]');
  assert.equal(await page.getAttribute('#tab-orders', 'aria-selected'), 'true');
  assert.ok(!(await page.content()).includes(key), 'the key is not in the page');

  // A MARKET order placed with the key appears, filled, through the event stream
  // (faster than the 5 s refresh).
  const filled = await placeorder({});
  const row = page.locator(`#orders-table tr[data-orderid="${filled}"]`);
  await row.waitFor({ timeout: 4000 });
  await page.waitForFunction((id) => document.querySelector(`tr[data-orderid="${id}"] .status`)?.textContent === 'complete', filled);

  // A resting LIMIT order far below the market gets Cancel and Modify buttons.
  const quote = await api('quotes', { symbol: 'SBIN', exchange: 'NSE' });
  const price = Math.round(quote.body.data.ltp * 0.8);
  const resting = await placeorder({ pricetype: 'LIMIT', price: String(price) });
  const restingRow = page.locator(`#orders-table tr[data-orderid="${resting}"]`);
  await restingRow.locator('button.cancel').waitFor({ timeout: 4000 });
  assert.equal(await restingRow.locator('.status').textContent(), 'open');

  // Modify the quantity from the dialog.
  await restingRow.locator('button.modify').click();
  await page.fill('#modify-quantity', '7');
  await page.click('#modify-save');
  await page.waitForFunction((id) => document.querySelector(`tr[data-orderid="${id}"] td:nth-child(5)`)?.textContent === '7', resting);
  await screenshot(page, 'account-orders');

  await restingRow.locator('button.cancel').click();
  await page.click('#confirm-ok');
  await page.waitForFunction((id) => document.querySelector(`tr[data-orderid="${id}"] .status`)?.textContent === 'cancelled', resting);
  const st = await api('orderstatus', { strategy: 'e2e', orderid: resting });
  assert.equal(st.body.data.order_status, 'cancelled');

  // Positions: close SBIN from the page.
  await page.click('#tab-positions');
  const pos = page.locator('#positions-table tr[data-symbol="SBIN"]');
  await pos.locator('button.close').waitFor();
  assert.equal(await pos.locator('.qty').textContent(), '5');
  await screenshot(page, 'account-positions');
  await pos.locator('button.close').click();
  await page.click('#confirm-ok');
  await page.waitForFunction(() => document.querySelector('#positions-table tr[data-symbol="SBIN"] .qty')?.textContent === '0');
  const open = await api('openposition', { strategy: 'e2e', symbol: 'SBIN', exchange: 'NSE', product: 'MIS' });
  assert.equal(open.body.quantity, 0);

  // Funds tab renders the figures.
  await page.click('#tab-funds');
  await page.waitForSelector('#funds-stats dd');
  assert.match(await page.textContent('#funds-stats'), /Available cash/);
});

test('the TradingView page builds both alerts and its test alert places orders', async () => {
  await page.goto(`${server.base}/tradingview`);
  await page.fill('#tv-symbol', 'SBI');
  const hit = page.locator('#tv-suggestions li[data-symbol="SBIN"][data-exchange="NSE"]');
  await hit.waitFor();
  await hit.click();
  assert.equal(await page.inputValue('#tv-symbol'), 'SBIN');
  await page.fill('#tv-quantity', '3');
  await page.waitForFunction(() => document.getElementById('tv-json').textContent.includes('"apikey": "'));

  const strategy = JSON.parse(await page.textContent('#tv-json'));
  assert.deepEqual(strategy, {
    apikey: key, strategy: 'TradingView Strategy', symbol: 'SBIN', exchange: 'NSE',
    action: '{{strategy.order.action}}', product: 'MIS', pricetype: 'MARKET',
    quantity: '{{strategy.order.contracts}}', position_size: '{{strategy.position_size}}',
  });
  assert.equal(await page.textContent('#tv-url'), `${server.base}/api/v1/placesmartorder`);
  // The copy button draws an SVG icon (a text glyph can render as an empty box).
  assert.equal((await page.textContent('#copy-url')).trim(), '');
  const icon = await page.locator('#copy-url svg').boundingBox();
  assert.ok(icon && icon.width > 0 && icon.height > 0, 'the copy icon is drawn');
  await page.click('#copy-url');
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), `${server.base}/api/v1/placesmartorder`);
  await page.click('#copy-json');
  assert.deepEqual(JSON.parse(await page.evaluate(() => navigator.clipboard.readText())), strategy);
  await screenshot(page, 'tradingview');

  await page.click('#tv-test');
  await page.waitForSelector('#tv-result:not([hidden])');
  assert.match(await page.textContent('#tv-result'), /^HTTP 200/);
  assert.equal(await page.getAttribute('#tv-result', 'data-status'), '200');
  let p = await api('openposition', { strategy: 'e2e', symbol: 'SBIN', exchange: 'NSE', product: 'MIS' });
  assert.equal(p.body.quantity, 3, 'the smart order traded to position size 3');

  // Line mode: placeorder with a fixed action and quantity.
  await page.click('#mode-line');
  await page.selectOption('#tv-action', 'SELL');
  await page.fill('#tv-quantity', '2');
  const line = JSON.parse(await page.textContent('#tv-json'));
  assert.deepEqual(line, {
    apikey: key, strategy: 'TradingView Line Alert', symbol: 'SBIN', exchange: 'NSE',
    action: 'SELL', product: 'MIS', pricetype: 'MARKET', quantity: '2',
  });
  assert.equal(await page.textContent('#tv-url'), `${server.base}/api/v1/placeorder`);
  await page.click('#tv-test');
  await page.waitForFunction(() => /^HTTP 200/.test(document.getElementById('tv-result').textContent)
    && document.getElementById('tv-result').textContent.includes('orderid'));
  p = await api('openposition', { strategy: 'e2e', symbol: 'SBIN', exchange: 'NSE', product: 'MIS' });
  assert.equal(p.body.quantity, 1);
  const book = await api('orderbook', {});
  const strategies = book.body.data.orders.map((o) => o.strategy);
  assert.ok(strategies.includes('TradingView Strategy') && strategies.includes('TradingView Line Alert'));
});

test('the security page bans and unbans an IP', async () => {
  await page.goto(`${server.base}/security`);
  // The link is revealed once /auth/me answers, after the page has loaded.
  await page.waitForSelector('#nav-security', { state: 'visible', timeout: 5000 });
  await page.waitForSelector('#settings dd');
  assert.match(await page.textContent('#settings'), /Auto-ban\s*off/);
  assert.match(await page.textContent('#tls'), /HTTPS\s*off/);
  await page.fill('#ban-ip', '203.0.113.9');
  await page.fill('#ban-reason', 'e2e ban');
  await page.fill('#ban-hours', '3');
  await page.click('#ban-submit');
  const row = page.locator('#bans-table tr[data-ip="203.0.113.9"]');
  await row.waitFor();
  assert.match(await row.textContent(), /e2e ban/);
  await screenshot(page, 'security');

  // Loopback is refused with a clear message.
  await page.fill('#ban-ip', '127.0.0.1');
  await page.click('#ban-submit');
  await page.waitForFunction(() => /Loopback/.test(document.getElementById('ban-error').textContent));

  await row.locator('button.unban').click();
  await page.click('#confirm-ok');
  await page.waitForSelector('#bans-empty:not([hidden])');
});
