// Helpers for the browser tests: a real `algogate serve` on a free port with a temp data
// dir, and Debian's Chromium driven by playwright-core.
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '..');
export const ARTIFACTS = path.join(here, 'artifacts');
export const BIN = process.env.ALGOGATE_BIN || path.join(ROOT, 'target', 'debug', 'algogate');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const PEPPER = 'e2e-pepper-for-algogate-browser-tests-000000001';
export const SALT = 'ffeeddccbbaa99887766554433221100';

/**
 * Records a secret the tests used in ALGOGATE_SECRETS_MANIFEST (when set), so the secrecy
 * check of .ci/run searches every captured log for it.
 */
export function noteSecret(secret) {
  const manifest = process.env.ALGOGATE_SECRETS_MANIFEST;
  if (manifest && secret) appendFileSync(manifest, `${secret}\n`);
}

/**
 * Starts the server; resolves once it prints its address (and setup URL if any). With
 * ALGOGATE_CAPTURE_DIR set, stop() leaves the server's output there (e2e-server-<pid>.log).
 */
export async function startServer(extraEnv = {}) {
  noteSecret(PEPPER);
  noteSecret(SALT);
  const dataDir = mkdtempSync(path.join(tmpdir(), 'algogate-e2e-'));
  const child = spawn(BIN, ['serve'], {
    env: {
      PATH: process.env.PATH,
      API_KEY_PEPPER: PEPPER,
      FERNET_SALT: SALT,
      ALGOGATE_DATA_DIR: dataDir,
      ALGOGATE_HTTP_ADDR: '127.0.0.1:0',
      ALGOGATE_WS_ADDR: '127.0.0.1:0',
      ALGOGATE_ARGON2_WORKERS: '2',
      ALGOGATE_LOG: 'debug',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const onData = (d) => { log += d.toString(); };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${log}`)), 30000);
    const check = () => {
      const m = log.match(/algogate is listening on (http:\/\/\S+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    };
    child.stdout.on('data', check);
    child.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${log}`)));
  });
  const setup = log.match(/(http:\/\/\S+\/setup\?token=[0-9a-f]+)/);
  return {
    base,
    setupUrl: setup && setup[1],
    log: () => log,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      const capture = process.env.ALGOGATE_CAPTURE_DIR;
      if (capture) writeFileSync(path.join(capture, `e2e-server-${child.pid}.log`), log);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A fresh Chromium profile; every page's console errors and CSP violations are kept. */
export async function startBrowser() {
  const profile = mkdtempSync(path.join(tmpdir(), 'algogate-chromium-'));
  mkdirSync(ARTIFACTS, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1200, height: 800 },
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  const problems = [];
  // Console errors (CSP violations among them) and uncaught exceptions; failed loads are
  // judged by their response instead, since the tests provoke 401/403/404 on purpose: any
  // 5xx, and any failure of a static asset, is a problem.
  const watch = (page) => {
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(String(e)));
    page.on('response', (r) => {
      if (r.status() >= 500 || (r.status() >= 400 && new URL(r.url()).pathname.startsWith('/static/'))) {
        problems.push(`${r.status()} ${r.url()}`);
      }
    });
  };
  context.on('page', watch);
  for (const p of context.pages()) watch(p);
  return {
    context,
    problems,
    async page() {
      const p = context.pages()[0] || await context.newPage();
      return p;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page, name) {
  for (const theme of ['light', 'dark']) {
    await page.evaluate((t) => document.documentElement.setAttribute('data-theme', t), theme);
    await page.screenshot({ path: path.join(ARTIFACTS, `${name}-${theme}.png`), fullPage: true });
  }
}

export async function ping(base, apikey) {
  const r = await fetch(`${base}/api/v1/ping`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ apikey }),
  });
  return r.status;
}

/** POST `/api/v1/<name>` with a JSON body: the status and the parsed answer. */
export async function apiCall(base, name, body) {
  const r = await fetch(`${base}/api/v1/${name}`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  return { status: r.status, body: await r.json() };
}

/** First-run setup of `user` on the page, then a login; ends on the loaded API Key page. */
export async function setupAndLogin(page, server, user, password) {
  await page.goto(server.setupUrl);
  await page.waitForSelector('#setup-form');
  await page.fill('#username', user);
  await page.fill('#password', password);
  await page.fill('#confirm', password);
  await page.click('#setup-submit');
  await page.waitForURL(/\/login/);
  await page.fill('#username', user);
  await page.fill('#password', password);
  await page.click('#login-submit');
  await page.waitForURL(/\/apikey$/);
  await page.waitForSelector('#apikey-content:not([hidden])');
}
