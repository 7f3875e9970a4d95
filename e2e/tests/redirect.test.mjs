// The login page's `?next=` cannot send the browser to another origin: every variant that
// a browser's URL parser turns into `//host` (tabs, newlines, backslashes, encodings) ends
// on this server, and a same-origin path is still honoured.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startBrowser, startServer } from '../lib.mjs';

const USER = 'admin';
const PASSWORD = 'E2e-Redir3ct-Passw0rd!';
let server;
let browser;
let evil;
let evilHits = 0;

before(async () => {
  server = await startServer();
  browser = await startBrowser();
  // The "other host" a successful attack would reach.
  evil = http.createServer((_req, res) => { evilHits += 1; res.end('evil'); });
  await new Promise((r) => evil.listen(0, '127.0.0.1', r));
  const page = await browser.page();
  await page.goto(server.setupUrl);
  await page.fill('#username', USER);
  await page.fill('#password', PASSWORD);
  await page.fill('#confirm', PASSWORD);
  await page.click('#setup-submit');
  await page.waitForURL(/\/login/);
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await new Promise((r) => (evil ? evil.close(r) : r()));
});

async function loginWithNext(rawNext) {
  const page = await browser.page();
  // Leave the last page first: its own requests, refused once the cookies are gone, would
  // navigate to the login page themselves.
  await page.goto('about:blank');
  await browser.context.clearCookies();
  await page.goto(`${server.base}/login?next=${rawNext}`);
  await page.fill('#username', USER);
  await page.fill('#password', PASSWORD);
  await page.click('#login-submit');
  const base = new URL(server.base);
  await page.waitForURL((u) => u.origin !== base.origin || u.pathname !== '/login', { waitUntil: 'commit' });
  return new URL(page.url());
}

test('next= variants that a browser reads as another host stay on this origin', async () => {
  const host = `127.0.0.1:${evil.address().port}`;
  const variants = [
    `/%09/${host}/x`,
    `/%0a/${host}/x`,
    `/%0d%0a/${host}/x`,
    `//${host}/x`,
    `///${host}/x`,
    `/%5C${host}/x`,
    `%5C%5C${host}/x`,
    `/%5C%09%5C${host}/x`,
    `%09//${host}/x`,
    `%20//${host}/x`,
    `/.//${host}/x`,
    `/./%5C${host}/x`,
    `http://${host}/x`,
    `http:%2F%2F${host}/x`,
    `javascript:alert(1)`,
  ];
  for (const v of variants) {
    const landed = await loginWithNext(v);
    assert.equal(landed.origin, server.base, `next=${v} left the origin for ${landed.href}`);
    assert.equal(landed.pathname, '/apikey', `next=${v}`);
  }
  assert.equal(evilHits, 0, 'the other host was never contacted');
});

test('a same-origin next= is followed, with its query', async () => {
  assert.equal((await loginWithNext('/account')).pathname, '/account');
  const withQuery = await loginWithNext('%2Faccount%3Ftab%3Dorders');
  assert.equal(`${withQuery.origin}${withQuery.pathname}${withQuery.search}`, `${server.base}/account?tab=orders`);
});
