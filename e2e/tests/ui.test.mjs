// End to end: setup with the printed link, login, the API key page, order mode, logout,
// a wrong password, a missing CSRF token, an expired session; screenshots in light and
// dark mode; no secret in the server's output.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { noteSecret, ping, screenshot, startBrowser, startServer } from '../lib.mjs';

const USER = 'admin';
const PASSWORD = 'E2e-Sup3r-Passw0rd!';
let server;
let browser;
const secrets = [];

before(async () => {
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

async function login(page, password) {
  await page.goto(`${server.base}/login`);
  await page.fill('#username', USER);
  await page.fill('#password', password);
  await page.click('#login-submit');
}

test('first run: setup, login, key, copy, regenerate, mode, logout', async () => {
  const page = await browser.page();
  assert.ok(server.setupUrl, 'the server printed a setup URL');
  secrets.push(PASSWORD);

  // Setup through the printed one-time link.
  await page.goto(server.setupUrl);
  await page.waitForSelector('#setup-form');
  assert.equal(new URL(page.url()).search, '', 'the token is dropped from the address bar');
  await screenshot(page, 'setup');
  await page.fill('#username', USER);
  await page.fill('#password', 'weak');
  assert.equal(await page.locator('#strength-rules li.met').count() < 4, true);
  await page.fill('#password', PASSWORD);
  await page.fill('#confirm', PASSWORD);
  assert.equal(await page.locator('#strength-rules li.met').count(), 4);
  await page.click('#setup-submit');
  await page.waitForURL(/\/login/);
  // The link is spent.
  const again = await page.goto(server.setupUrl);
  assert.equal(again.status(), 404);

  // A wrong password gets the one generic message.
  await login(page, 'Not-the-password-1');
  await page.waitForSelector('#login-error:not([hidden])');
  assert.equal(await page.textContent('#login-error'), 'Invalid username or password.');
  await screenshot(page, 'login');

  // Log in: the API key page, with a masked key.
  await login(page, PASSWORD);
  await page.waitForURL(/\/apikey$/);
  await page.waitForSelector('#apikey-content:not([hidden])');
  assert.equal(await page.textContent('#whoami'), USER);
  assert.equal(await page.textContent('#regenerate-label'), 'Regenerate');
  const masked = await page.textContent('#key-display');
  assert.match(masked, /^[0-9a-f]{8}•{32}[0-9a-f]{8}$/);
  assert.ok(!(await page.content()).match(/[0-9a-f]{64}/), 'the full key is not in the DOM');

  // Reveal, then copy.
  await page.click('#toggle-key');
  const key = await page.textContent('#key-display');
  assert.match(key, /^[0-9a-f]{64}$/);
  assert.equal(key.slice(0, 8) + key.slice(-8), masked.slice(0, 8) + masked.slice(-8));
  secrets.push(key);
  assert.equal(await ping(server.base, key), 200);
  await page.click('#copy-key');
  await page.waitForSelector('.toast.success');
  assert.equal(await page.locator('.toast.success').last().textContent(), 'API key copied to clipboard');
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), key);
  await page.click('#toggle-key');
  await screenshot(page, 'apikey');
  // The Playground card links the Playground.
  assert.equal(await page.getAttribute('#open-playground', 'href'), '/playground');
  assert.ok(!(await page.textContent('#apikey-content')).includes('later release'));

  // Regenerate: cancel first, then confirm; the old key is refused at once.
  await page.click('#regenerate');
  await page.waitForSelector('#confirm-dialog[open]');
  assert.equal(await page.textContent('#confirm-title'), 'Regenerate API Key?');
  assert.match(await page.textContent('#confirm-body'), /stops working/);
  await screenshot(page, 'apikey-confirm');
  await page.click('#confirm-cancel');
  assert.equal(await ping(server.base, key), 200, 'cancel changes nothing');
  await page.click('#regenerate');
  await page.click('#confirm-ok');
  await page.waitForFunction((old) => {
    const t = document.getElementById('key-display').textContent;
    return /^[0-9a-f]{64}$/.test(t) && t !== old;
  }, key);
  const fresh = await page.textContent('#key-display');
  secrets.push(fresh);
  assert.equal(await ping(server.base, key), 403);
  assert.equal(await ping(server.base, fresh), 200);

  // Order mode: to Semi-Auto and back.
  assert.equal(await page.getAttribute('#mode-auto', 'aria-pressed'), 'true');
  await page.click('#mode-semi');
  await page.waitForFunction(() => document.getElementById('mode-semi').getAttribute('aria-pressed') === 'true');
  assert.equal(await page.textContent('#mode-name'), 'Semi-Auto');
  assert.ok(await page.isVisible('#mode-semi-text'));
  const json = await page.evaluate(() => fetch('/apikey', { headers: { Accept: 'application/json' } }).then((r) => r.json()));
  assert.equal(json.order_mode, 'semi_auto');
  await screenshot(page, 'apikey-semi-auto');
  await page.click('#mode-auto');
  await page.waitForFunction(() => document.getElementById('mode-auto').getAttribute('aria-pressed') === 'true');
  const json2 = await page.evaluate(() => fetch('/apikey', { headers: { Accept: 'application/json' } }).then((r) => r.json()));
  assert.equal(json2.order_mode, 'auto');

  // A state-changing request without the CSRF token is refused.
  const status = await page.evaluate(() => fetch('/apikey', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}',
  }).then((r) => r.status));
  assert.equal(status, 403);
  assert.equal(await ping(server.base, fresh), 200, 'and the key did not change');

  // The theme toggle flips and persists.
  const theme = await page.getAttribute('html', 'data-theme');
  await page.click('#theme-toggle');
  const flipped = await page.getAttribute('html', 'data-theme');
  assert.notEqual(flipped, theme);
  await page.reload();
  assert.equal(await page.getAttribute('html', 'data-theme'), flipped);

  // Phone width: no horizontal scrolling; the menu button shows the navigation.
  await page.setViewportSize({ width: 375, height: 740 });
  await page.waitForSelector('#apikey-content:not([hidden])');
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));
  assert.ok(!(await page.isVisible('#nav a')));
  await page.click('.nav-toggle');
  assert.ok(await page.isVisible('#nav a'));
  await screenshot(page, 'apikey-phone');
  await page.setViewportSize({ width: 1200, height: 800 });

  const cookies = await browser.context.cookies(server.base);
  const session = cookies.find((c) => c.name === 'algogate_session');
  assert.ok(session && session.httpOnly && session.sameSite === 'Strict');
  secrets.push(session.value);

  // Logout: back to login, and the key page needs a new login.
  await page.reload();
  await page.waitForSelector('#apikey-content:not([hidden])');
  await page.click('#logout');
  await page.waitForURL(/\/login$/);
  await page.goto(`${server.base}/apikey`);
  await page.waitForURL(/\/login\?next=%2Fapikey|\/login\?next=\/apikey/);
  assert.deepEqual(browser.problems, []);
});

test('an expired session sends the page back to the login', async () => {
  const short = await startServer({ ALGOGATE_SESSION_IDLE_SECS: '2' });
  const b = await startBrowser();
  try {
    const page = await b.page();
    await page.goto(short.setupUrl);
    await page.fill('#username', USER);
    await page.fill('#password', PASSWORD);
    await page.fill('#confirm', PASSWORD);
    await page.click('#setup-submit');
    await page.waitForURL(/\/login/);
    await page.fill('#username', USER);
    await page.fill('#password', PASSWORD);
    await page.click('#login-submit');
    await page.waitForSelector('#apikey-content:not([hidden])');
    await page.waitForTimeout(3000);
    const res = await page.evaluate(() => fetch('/apikey', { headers: { Accept: 'application/json' } })
      .then(async (r) => ({ status: r.status, body: await r.json() })));
    assert.equal(res.status, 401);
    assert.equal(res.body.error, 'session_expired');
    // Acting on the page now leads to the login.
    await page.click('#mode-semi');
    await page.waitForURL(/\/login\?next=/);
    assert.ok(!short.log().includes(PASSWORD));
  } finally {
    await b.close();
    await short.stop();
  }
});
