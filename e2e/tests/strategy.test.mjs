// End to end: the Strategies page. Create a strategy with a mapping found by instrument
// search, copy-free webhook URL from the page, post a TradingView alert to it (text/plain),
// see the alert in the log, toggle it inactive, rotate the URL; screenshots in both themes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { noteSecret, screenshot, startBrowser, startServer } from '../lib.mjs';

const USER = 'alice';
const PASSWORD = 'E2e-Strat3gy-Hooks!';
let server;
let browser;

before(async () => {
  noteSecret(PASSWORD);
  server = await startServer();
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function alert(url, body) {
  const r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body });
  return { status: r.status, body: await r.json() };
}

test('create a strategy, alert it, read its log, deactivate and rotate it', async () => {
  const page = await browser.page();
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

  // From the TradingView page's link.
  await page.goto(`${server.base}/tradingview`);
  await page.click('[data-testid="tv-strategies-link"]');
  await page.waitForURL(/\/strategy$/);
  await page.waitForSelector('#strategies-empty:not([hidden])');

  await page.fill('#s-name', 'sbin trend');
  await page.selectOption('#s-mode', 'LONG');
  await page.uncheck('#s-intraday');
  assert.ok(await page.isHidden('#s-times'));
  await page.fill('#s-qty', '7');
  await page.fill('#s-search', 'SBIN');
  await page.waitForSelector('#s-suggestions li');
  await page.keyboard.press('Enter');
  assert.match(await page.inputValue('#s-maps'), /^NSE:SBIN:7:MIS$/m);
  await page.click('#s-submit');
  const row = page.locator('[data-testid^="strategy-"]');
  await row.first().waitFor();
  assert.equal(await row.count(), 1);
  assert.match(await row.first().textContent(), /tradingview_sbin trend/);
  await page.waitForSelector('#detail:not([hidden])');
  const url = await page.textContent('[data-testid="d-url"]');
  assert.match(url, /\/strategy\/webhook\/[0-9a-f]{64}$/);
  noteSecret(url.split('/').pop());
  const templates = await page.locator('[data-testid="template"]').allTextContents();
  assert.ok(templates.some((t) => t.includes('{{strategy.order.action}}')), templates.join('\n'));

  // An alert as TradingView sends it.
  const r = await alert(url, JSON.stringify({ symbol: 'SBIN', action: 'BUY' }));
  assert.deepEqual(r, { status: 200, body: { message: 'Order queued successfully for SBIN' } });
  const bad = await alert(url, JSON.stringify({ symbol: 'TCS', action: 'BUY' }));
  assert.equal(bad.status, 400);
  await page.reload();
  await page.locator('[data-testid^="strategy-"] button', { hasText: 'Alerts' }).click();
  await page.waitForSelector('#alerts-table:not([hidden])');
  const log = page.locator('#alerts-table tbody tr');
  assert.equal(await log.count(), 2);
  assert.match(await log.nth(0).textContent(), /No mapping found for symbol TCS/);
  assert.match(await log.nth(1).textContent(), /placed \(200\)/);
  await screenshot(page, 'strategies');

  // Inactive: OpenAlgo's 400.
  const id = (await row.first().getAttribute('data-testid')).split('-')[1];
  // The box unticks at once; the strategy is inactive when the server has answered.
  const toggled = page.waitForResponse((r) => r.url().endsWith(`/strategy/api/strategy/${id}/toggle`) && r.ok());
  await page.uncheck(`[data-testid="active-${id}"]`);
  await toggled;
  const off = await alert(url, JSON.stringify({ symbol: 'SBIN', action: 'BUY' }));
  assert.deepEqual(off, { status: 400, body: { error: 'Strategy is inactive' } });

  // A new URL: the old one is unknown at once.
  await page.locator('[data-testid^="strategy-"] button', { hasText: 'New URL' }).click();
  await page.click('#confirm-ok');
  await page.waitForFunction((old) => document.querySelector('[data-testid="d-url"]').textContent !== old, url);
  const fresh = await page.textContent('[data-testid="d-url"]');
  noteSecret(fresh.split('/').pop());
  const gone = await alert(url, JSON.stringify({ symbol: 'SBIN', action: 'BUY' }));
  assert.equal(gone.status, 404);
  assert.ok(!server.log().includes(url.split('/').pop()), 'the webhook secret is not in the log');
  assert.deepEqual(browser.problems, []);
});
