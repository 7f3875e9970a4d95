// End to end: the Action Center. Switch to Semi-Auto, queue orders through the REST API,
// see them arrive live (SSE) with the navigation badge, approve one and see its execution
// result, reject a basket with a reason, approve all; screenshots in both themes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { apiCall, noteSecret, screenshot, startBrowser, startServer } from '../lib.mjs';

const USER = 'trader';
const PASSWORD = 'E2e-Act10n-Center!';
let server;
let browser;
/** The first test's page (logged in, semi-auto) and key, for the ones after it. */
let page;
let apikey;

before(async () => {
  noteSecret(PASSWORD);
  server = await startServer();
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('queue via the API, see it live, approve, reject with a reason, approve all', async () => {
  page = await browser.page();
  await page.goto(server.setupUrl);
  await page.waitForSelector('#setup-form');
  await page.fill('#username', USER);
  await page.fill('#password', PASSWORD);
  await page.fill('#confirm', PASSWORD);
  await page.click('#setup-submit');
  await page.waitForURL(/\/login/);
  await page.fill('#username', USER);
  await page.fill('#password', PASSWORD);
  await page.click('#login-submit');
  await page.waitForURL(/\/apikey$/);
  await page.waitForSelector('#apikey-content:not([hidden])');
  await page.click('#mode-semi');
  await page.waitForFunction(() => document.getElementById('mode-semi').getAttribute('aria-pressed') === 'true');
  ({ api_key: apikey } = await page.evaluate(() => fetch('/apikey', { headers: { Accept: 'application/json' } }).then((r) => r.json())));
  noteSecret(apikey);

  // The Action Center from the navigation; empty at first.
  await page.click('nav a[href="/action-center"]');
  await page.waitForURL(/\/action-center$/);
  await page.waitForSelector('#live[data-state="on"]');
  assert.equal(await page.textContent('#empty'), 'No pending orders.');
  assert.ok(await page.isHidden('#ac-badge'));

  // An order queued through the API appears without a reload, with the badge.
  const q = await apiCall(server.base, 'placeorder', {
    apikey, strategy: 'e2e', exchange: 'NSE', symbol: 'SBIN', action: 'BUY', quantity: 5,
  });
  assert.equal(q.status, 200);
  assert.equal(q.body.mode, 'semi_auto');
  assert.equal(q.body.message, 'Order queued for approval in Action Center');
  const id = q.body.pending_order_id;
  const card = page.locator(`[data-testid="order"][data-id="${id}"]`);
  await card.waitFor();
  assert.equal(await card.locator('[data-testid="symbol"]').textContent(), 'SBIN');
  await page.waitForFunction(() => document.getElementById('ac-badge').textContent === '1');
  assert.ok(await page.isVisible('#ac-badge'));
  assert.equal(await page.textContent('#stat-pending'), '1');

  // A basket and a split show their legs and sizes.
  const b = await apiCall(server.base, 'basketorder', {
    apikey, strategy: 'e2e', orders: [
      { exchange: 'NSE', symbol: 'INFY', action: 'BUY', quantity: 2 },
      { exchange: 'NSE', symbol: 'TCS', action: 'SELL', quantity: 1, pricetype: 'LIMIT', price: 1 },
    ],
  });
  const basket = page.locator(`[data-testid="order"][data-id="${b.body.pending_order_id}"]`);
  await basket.waitFor();
  assert.equal(await basket.locator('[data-testid="basket-legs"] tbody tr').count(), 2);
  const s = await apiCall(server.base, 'splitorder', {
    apikey, strategy: 'e2e', exchange: 'NSE', symbol: 'SBIN', action: 'BUY', quantity: 25, splitsize: 10,
  });
  const split = page.locator(`[data-testid="order"][data-id="${s.body.pending_order_id}"]`);
  await split.waitFor();
  assert.match(await split.locator('[data-testid="split-sizes"]').textContent(), /10 \+ 10 \+ 5/);
  await page.waitForFunction(() => document.getElementById('ac-badge').textContent === '3');
  await screenshot(page, 'action-center-pending');

  // Approve the first order: cancel the confirmation first, then confirm.
  await card.locator('[data-testid="approve"]').click();
  await page.waitForSelector('#confirm-dialog[open]');
  await page.click('#confirm-cancel');
  assert.equal(await card.count(), 1, 'cancelled: still pending');
  await card.locator('[data-testid="approve"]').click();
  await page.waitForSelector('#confirm-dialog[open]');
  await page.click('#confirm-ok');
  await card.waitFor({ state: 'detached' });
  await page.waitForFunction(() => document.getElementById('ac-badge').textContent === '2');

  // Reject the basket with a reason.
  await basket.locator('[data-testid="reject"]').click();
  await page.waitForSelector('#reject-dialog[open]');
  await page.fill('#reject-reason', 'Too much risk today');
  await page.click('#reject-ok');
  await basket.waitFor({ state: 'detached' });

  // The approved tab shows the execution result.
  await page.click('#tab-approved');
  const done = page.locator(`[data-testid="order"][data-id="${id}"]`);
  await done.waitFor();
  assert.equal(await done.locator('[data-testid="execution-state"]').textContent(), 'Executed');
  const orderid = await done.locator('[data-testid="broker-order-id"]').textContent();
  assert.match(orderid, /^\d+$/);
  assert.equal(await done.locator('[data-testid="broker-status"]').textContent(), 'complete');
  const book = await apiCall(server.base, 'orderbook', { apikey });
  assert.deepEqual(book.body.data.orders.map((o) => o.orderid), [orderid]);
  await screenshot(page, 'action-center-approved');

  await page.click('#tab-rejected');
  const rejected = page.locator(`[data-testid="order"][data-id="${b.body.pending_order_id}"]`);
  await rejected.waitFor();
  assert.match(await rejected.locator('[data-testid="result"]').textContent(), /Too much risk today/);

  // Approve all executes the split (three orders).
  await page.click('#tab-pending');
  await split.waitFor();
  await page.click('#approve-all');
  await page.waitForSelector('#confirm-dialog[open]');
  await page.click('#confirm-ok');
  await split.waitFor({ state: 'detached' });
  await page.waitForFunction(() => document.getElementById('ac-badge').hidden);
  assert.equal(await page.textContent('#stat-approved'), '2');
  const after = await apiCall(server.base, 'orderbook', { apikey });
  assert.equal(after.body.data.orders.length, 4);

  // Deleting a decided row removes it from its tab.
  await page.click('#tab-rejected');
  await rejected.waitFor();
  await rejected.locator('[data-testid="delete"]').click();
  await page.click('#confirm-ok');
  await rejected.waitFor({ state: 'detached' });

  // The badge also lives on other pages.
  await apiCall(server.base, 'placeorder', { apikey, strategy: 'e2e', exchange: 'NSE', symbol: 'SBIN', action: 'SELL', quantity: 1 });
  await page.goto(`${server.base}/apikey`);
  await page.waitForFunction(() => document.getElementById('ac-badge').textContent === '1');
  assert.deepEqual(browser.problems, []);
});

test('an options strategy shows its legs, and its approval places each leg once', async () => {
  await page.goto(`${server.base}/action-center`);
  await page.waitForSelector('#live[data-state="on"]');
  // The next expiry but one: the nearest may be past its cut-off today.
  const exp = await apiCall(server.base, 'expiry', { apikey, symbol: 'NIFTY', exchange: 'NFO', instrumenttype: 'options' });
  const q = await apiCall(server.base, 'optionsmultiorder', {
    apikey, strategy: 'e2e', underlying: 'NIFTY', exchange: 'NSE_INDEX', expiry_date: exp.body.data[1],
    legs: [
      { offset: 'OTM2', option_type: 'CE', action: 'BUY', quantity: 65 },
      { offset: 'ATM', option_type: 'CE', action: 'SELL', quantity: 65, product: 'NRML' },
    ],
  });
  assert.equal(q.status, 200, JSON.stringify(q.body));
  const card = page.locator(`[data-testid="order"][data-id="${q.body.pending_order_id}"]`);
  await card.waitFor();
  assert.equal(await card.locator('[data-testid="symbol"]').textContent(), 'NIFTY (2 legs)');
  const legs = await card.locator('[data-testid="options-legs"] tbody tr').evaluateAll(
    (rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent)));
  assert.deepEqual(legs, [
    ['1', 'OTM2', 'CE', 'BUY', '65', 'MARKET', 'MIS'],
    ['2', 'ATM', 'CE', 'SELL', '65', 'MARKET', 'NRML'],
  ]);
  const before = (await apiCall(server.base, 'orderbook', { apikey })).body.data.orders.length;
  await card.locator('[data-testid="approve"]').click();
  await page.click('#confirm-ok');
  await card.waitFor({ state: 'detached' });
  await page.click('#tab-approved');
  const done = page.locator(`[data-testid="order"][data-id="${q.body.pending_order_id}"]`);
  await done.waitFor();
  assert.equal(await done.locator('[data-testid="execution-state"]').textContent(), 'Executed');
  const ids = (await done.locator('[data-testid="broker-order-id"]').textContent()).split(',');
  assert.equal(ids.length, 2);
  const book = (await apiCall(server.base, 'orderbook', { apikey })).body.data.orders;
  assert.equal(book.length, before + 2);
  assert.deepEqual(ids.toSorted(), book.filter((o) => ids.includes(o.orderid)).map((o) => o.orderid).toSorted());
  await screenshot(page, 'action-center-options');
  assert.deepEqual(browser.problems, []);
});
