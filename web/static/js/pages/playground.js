// @ts-check
// The API Playground (SPEC §6; reference/openalgo-ws-sdk-ui.md §3.3): endpoints from our
// Bruno collection, tabs, a JSON editor with the key filled in, the response viewer,
// history in localStorage (keys redacted), editable headers and code snippets. Only our
// own /api/ routes can be called. The key is fetched over the session, never in the HTML.
// A request opened from the collection carries its Bruno blocks: {{var}} interpolation
// from the chosen environment and this tab's runtime variables on send, then its asserts
// beside the response and its vars:post-response into the variables panel; the Runner
// mode runs a folder or the whole collection (playground/run-panel.js).
import { initShell } from '../app.js';
import { copyText, toast } from '../ui.js';
import { errorMessage, getJson } from '../api.js';
import { $, $$, cell, dateTime, el, pretty } from '../dom.js';
import { allowedApiPath, apiKey, chooseKey, formatSize, keyChoice, renderJson } from '../playground/common.js';
import { curl, headerKey, requests as pyRequests, sdk } from '../playground/snippets.js';
import { initWs } from '../playground/ws.js';
import { runAssertions, show } from '../playground/asserts.js';
import { KEY_VAR, entries, interpolate, loadEnvName, loadRuntime, postResponse, saveEnvName, saveRuntime, scope } from '../playground/vars.js';
import { mergeByName, plan, send as sendPrepared } from '../playground/runner.js';
import { initRunPanel } from '../playground/run-panel.js';

/** @import { Request } from '../playground/snippets.js' */
/** @import { Endpoint } from '../playground/common.js' */
/** @import { AssertResult, Res } from '../playground/asserts.js' */
/** @import { Collection, PlannedRequest } from '../playground/runner.js' */

/**
 * An open request: `initial` is its body when opened, for the modified mark and Reset;
 * `item` is its request in the collection (asserts, variables) when it came from there.
 * @typedef {{ id: number, name: string, method: string, path: string, initial: string,
 *   body: string, headers: Array<{ name: string, value: string }>,
 *   item: PlannedRequest | null }} Tab
 * @typedef {{ status: number, ms: number, text: string, headers: Array<[string, string]> }} Result
 * @typedef {{ at: number, name: string, method: string, path: string, body: string | null,
 *   status: number, ms: number }} HistoryEntry a sent request, its key blanked
 */

const HISTORY_KEY = 'algogate-playground-history';
const HISTORY_MAX = 50;
/** @type {Array<[string, string]>} */
const DEFAULT_HEADERS = [['Content-Type', 'application/json'], ['Accept', 'application/json']];
const OPEN_AT_START = new Set(['account', 'orders']);

const bodyInput = $('body', HTMLTextAreaElement);
const methodSelect = $('method', HTMLSelectElement);
const pathInput = $('path', HTMLInputElement);
const gutter = $('gutter');

/**
 * `collection` is the catalog's Bruno JSON, `requests` its HTTP requests in run order,
 * `runtime` this tab's runtime variables (sessionStorage), `envName` the chosen environment.
 * @type {{ endpoints: Record<string, Endpoint[]>, key: string, tabs: Tab[], active: number | null,
 *   nextId: number, keyVisible: boolean, collapsed: Set<string>,
 *   last: { status: number, text: string } | null, busy: boolean, collection: Collection,
 *   requests: PlannedRequest[], runtime: Record<string, unknown>, envName: string }}
 */
const state = {
  endpoints: {}, key: '', tabs: [], active: null, nextId: 1, keyVisible: false,
  collapsed: new Set(), last: null, busy: false, collection: {}, requests: [], runtime: {},
  envName: '',
};

/** @param {number | null} id */
function tabOf(id) { return state.tabs.find((t) => t.id === id) || null; }
function current() { return tabOf(state.active); }

/**
 * The endpoint's default editor text with the key filled in (P13).
 * @param {Endpoint} ep
 */
function defaultBody(ep) {
  const src = ep.method === 'GET' && ep.params ? ep.params : (ep.body || {});
  /** @type {Record<string, unknown>} */
  const obj = JSON.parse(JSON.stringify(src));
  if (state.key && obj && typeof obj === 'object' && !Array.isArray(obj) && !obj.apikey) {
    obj.apikey = state.key;
  }
  return pretty(obj);
}

// ---- sidebar -----------------------------------------------------------------------
function renderSidebar() {
  const q = $('search', HTMLInputElement).value.trim().toLowerCase();
  const box = $('categories');
  box.replaceChildren();
  const active = current();
  for (const [cat, items] of Object.entries(state.endpoints)) {
    const shown = items.filter((e) => !q || e.name.toLowerCase().includes(q) || e.path.toLowerCase().includes(q));
    if (!shown.length) continue;
    const open = q || !state.collapsed.has(cat);
    const section = el('div', { class: 'pg-cat', 'data-category': cat });
    const head = el('button', { class: 'pg-cat-head', type: 'button', 'aria-expanded': String(Boolean(open)) },
      el('span', '', cat), el('span', '', open ? '▾' : '▸'));
    head.addEventListener('click', () => {
      if (state.collapsed.has(cat)) state.collapsed.delete(cat); else state.collapsed.add(cat);
      renderSidebar();
    });
    section.append(head);
    if (open) {
      const ul = el('ul');
      for (const ep of shown) {
        const b = el('button', { class: 'pg-ep', type: 'button', 'data-path': ep.path },
          el('span', `pg-m ${ep.method}`, ep.method), el('span', '', ep.name));
        if (active && active.path === ep.path && active.name === ep.name) b.classList.add('active');
        b.addEventListener('click', () => openEndpoint(ep));
        ul.append(el('li', '', b));
      }
      section.append(ul);
    }
    box.append(section);
  }
  if (!box.children.length) box.append(el('p', 'muted small', 'No endpoint matches.'));
}

// ---- tabs --------------------------------------------------------------------------
/** @param {Endpoint} ep */
function openEndpoint(ep) {
  if (ep.method === 'WS') {
    setMode('ws');
    if (ws) ws.preload(ep);
    return;
  }
  setMode('rest');
  const existing = state.tabs.find((t) => t.path === ep.path && t.name === ep.name);
  if (existing) { activate(existing.id); return; }
  openTab(ep.name, ep.method, ep.path, defaultBody(ep), itemFor(ep));
}

/**
 * The collection's request behind an endpoint: same name, URL ending in its path.
 * @param {Endpoint} ep
 * @returns {PlannedRequest | null}
 */
function itemFor(ep) {
  return state.requests.find((r) => r.name === ep.name
    && (r.data.http?.url || '').split(/[?#]/)[0]?.endsWith(ep.path)) || null;
}

/**
 * A new tab with the default headers, shown.
 * @param {string} name
 * @param {string} method
 * @param {string} path
 * @param {string} body the editor's text
 * @param {PlannedRequest | null} [item] the collection's request, for asserts and vars
 */
function openTab(name, method, path, body, item = null) {
  /** @type {Tab} */
  const tab = {
    id: state.nextId++, name, method, path, initial: body, body,
    headers: DEFAULT_HEADERS.map(([k, v]) => ({ name: k, value: v })), item,
  };
  state.tabs.push(tab);
  activate(tab.id);
}

function saveEditor() {
  const t = current();
  if (!t) return;
  t.body = bodyInput.value;
  t.method = methodSelect.value;
  t.path = pathInput.value;
}

/** @param {number} id */
function activate(id) {
  saveEditor();
  state.active = id;
  clearResponse();
  renderTabs();
  renderRequest();
  renderSidebar();
}

/** @param {number} id */
function closeTab(id) {
  const i = state.tabs.findIndex((t) => t.id === id);
  if (i < 0) return;
  state.tabs.splice(i, 1);
  if (state.active === id) {
    const next = state.tabs[i] || state.tabs[i - 1];
    state.active = next ? next.id : null;
    clearResponse();
  }
  renderTabs();
  renderRequest();
  renderSidebar();
}

function renderTabs() {
  const box = $('tabs');
  box.replaceChildren();
  for (const t of state.tabs) {
    const b = el('div', {
      class: 'pg-tab', role: 'tab', tabIndex: 0, 'aria-selected': String(t.id === state.active),
      title: `${t.method} ${t.path}`,
    }, el('span', `pg-m ${t.method}`, t.method), el('span', 'pg-tab-name', t.name));
    if (t.body !== t.initial) b.append(el('span', { class: 'pg-dot', title: 'Modified', 'data-testid': 'modified' }));
    const x = el('button', { class: 'pg-tab-close', type: 'button', 'aria-label': `Close ${t.name}` }, '×');
    x.addEventListener('click', (e) => { e.stopPropagation(); closeTab(t.id); });
    b.append(x);
    b.addEventListener('click', () => { if (t.id !== state.active) activate(t.id); });
    box.append(b);
  }
}

// ---- request editor ----------------------------------------------------------------
function updateGutter() {
  const n = bodyInput.value.split('\n').length;
  gutter.textContent = Array.from({ length: n }, (_, i) => i + 1).join('\n');
  gutter.scrollTop = bodyInput.scrollTop;
}

/** @param {Tab} t */
function renderHeaders(t) {
  const body = $('req-headers');
  body.replaceChildren();
  t.headers.forEach((h, i) => {
    const name = el('input', { class: 'pg-input', value: h.name, 'aria-label': 'Header name' });
    name.addEventListener('input', () => { h.name = name.value; renderCode(); });
    const value = el('input', { class: 'pg-input', value: h.value, 'aria-label': 'Header value' });
    value.addEventListener('input', () => { h.value = value.value; renderCode(); });
    const del = el('button', { class: 'icon-btn', type: 'button', 'aria-label': 'Remove header' }, '×');
    del.addEventListener('click', () => { t.headers.splice(i, 1); renderHeaders(t); renderCode(); });
    body.append(el('tr', '', ...[name, value, del].map((c) => el('td', '', c))));
  });
}

function renderRequest() {
  const t = current();
  $('empty').hidden = Boolean(t);
  $('request').hidden = !t;
  $('generate-key').hidden = Boolean(state.key);
  if (!t) return;
  methodSelect.value = t.method;
  pathInput.value = t.path;
  bodyInput.value = t.body;
  updateGutter();
  renderHeaders(t);
  renderCode();
}

/**
 * The current tab's request as it will be sent, or an error message.
 * @returns {(Request & { name: string, error?: undefined }) | { error: string }}
 */
function buildRequest() {
  saveEditor();
  const t = current();
  if (!t) return { error: 'No request is open.' };
  const method = t.method;
  const vars = varsFor(t);
  const path = interpolate(t.path.trim(), vars);
  if (!allowedApiPath(path)) return { error: 'Only this server\'s /api/ routes can be called from the playground.' };
  const text = interpolate(t.body, vars);
  const url = new URL(path, location.origin);
  let body = null;
  if (method === 'GET') {
    if (text.trim()) {
      /** @type {unknown} */
      let obj;
      try { obj = JSON.parse(text); } catch { return { error: 'Invalid JSON in the body (GET parameters)' }; }
      if (obj && typeof obj === 'object') {
        for (const [k, v] of Object.entries(obj)) {
          if (v !== '' && v !== null && v !== undefined) url.searchParams.set(k, typeof v === 'object' ? JSON.stringify(v) : String(v));
        }
      }
    }
  } else {
    body = text;
  }
  const href = url.toString();
  /** @type {Array<[string, string]>} */
  const headers = t.headers.filter((h) => h.name.trim()).map((h) => [interpolate(h.name.trim(), vars), interpolate(h.value, vars)]);
  return { method, url: href, body, headers, path: new URL(href).pathname, name: t.name };
}

function renderCode() {
  const t = current();
  if (!t) return;
  const r = buildRequest();
  if (r.error !== undefined) { $('code').textContent = `# ${r.error}`; return; }
  const lang = $('code-lang', HTMLSelectElement).value;
  // The "-header" forms move the key into X-API-KEY; the SDK always sends it in the body.
  const req = lang.endsWith('-header') ? headerKey(r) : r;
  $('code').textContent = lang.startsWith('curl') ? curl(req) : lang === 'sdk' ? sdk(r, location.origin) : pyRequests(req);
}

// ---- sending and the response ------------------------------------------------------
function clearResponse() {
  state.last = null;
  $('status').hidden = true;
  $('time').textContent = '';
  $('size').textContent = '';
  $('response').hidden = true;
  $('error-view').hidden = true;
  $('no-response').hidden = false;
  $('copy-response', HTMLButtonElement).disabled = true;
  $('res-headers').replaceChildren();
  renderAsserts(null, []);
}

/** @param {Result} result */
function showResponse({ status, ms, text, headers }) {
  state.last = { status, text };
  const pill = $('status');
  pill.hidden = false;
  pill.textContent = `${status} ${status >= 200 && status < 300 ? 'OK' : 'Error'}`;
  pill.className = `pg-status ${status >= 200 && status < 300 ? 'ok' : status >= 400 || status === 0 ? 'err' : ''}`;
  $('time').textContent = `${ms} ms`;
  $('size').textContent = formatSize(new TextEncoder().encode(text).length);
  $('no-response').hidden = true;
  $('response').hidden = false;
  renderJson($('response'), text);
  $('copy-response', HTMLButtonElement).disabled = false;
  const ev = $('error-view');
  if (status >= 400 || status === 0) {
    let msg = '';
    try {
      /** @type {{ message?: unknown, error?: unknown }} */
      const v = JSON.parse(text);
      const m = v.message ?? v.error ?? v;
      msg = typeof m === 'string' ? m : JSON.stringify(m);
    } catch { msg = text.slice(0, 500); }
    ev.textContent = `${status === 0 ? 'Network error' : `HTTP ${status}`}: ${msg}`;
    ev.hidden = false;
  } else {
    ev.hidden = true;
  }
  $('res-headers').replaceChildren(...headers.map(([k, v]) => el('tr', '', cell(k), cell(v))));
}

async function send() {
  if (state.busy || !current()) return;
  const tab = current();
  const r = buildRequest();
  if (r.error !== undefined) { toast(r.error, 'error'); return; }
  state.busy = true;
  const sendButton = $('send', HTMLButtonElement);
  sendButton.disabled = true;
  $('send-label').textContent = 'Sending…';
  $('loading').hidden = false;
  $('no-response').hidden = true;
  const started = performance.now();
  /** @type {Result} */
  let result;
  /** @type {Res | null} */
  let res = null;
  try {
    const answer = await sendPrepared({ ...r, body: r.method === 'GET' ? null : r.body }, fetch.bind(window), () => performance.now());
    res = answer;
    let text;
    try { text = pretty(JSON.parse(answer.text)); } catch {
      text = pretty({ text: answer.text, contentType: answer.headers['content-type'] || '' });
    }
    result = { status: answer.status, ms: answer.responseTime, text, headers: Object.entries(answer.headers) };
  } catch (e) {
    result = { status: 0, ms: Math.round(performance.now() - started), text: pretty({ error: errorMessage(e) || String(e) }), headers: [] };
  }
  state.busy = false;
  sendButton.disabled = false;
  $('send-label').textContent = 'Send';
  $('loading').hidden = true;
  showResponse(result);
  if (tab && res) checkResponse(tab, res);
  addHistory(r, result);
}

// ---- asserts and variables ---------------------------------------------------------
/** The chosen environment's variables, without the key (it comes from the session). */
function envVars() {
  const env = (state.collection.environments || []).find((e) => e.name === state.envName);
  const vars = entries(env?.variables);
  delete vars[KEY_VAR];
  return vars;
}


/**
 * Every variable in scope for a tab, in bru run's precedence, the session key last.
 * @param {Tab} t
 */
function varsFor(t) {
  return scope({
    collection: entries(state.collection.root?.vars?.req ?? state.collection.root?.request?.vars?.req), env: envVars(),
    folder: t.item?.folderVars, request: entries(t.item?.data.vars?.req), runtime: state.runtime,
    key: state.key, host: location.origin,
  });
}

/**
 * A collection request's response: vars:post-response into the runtime variables, then
 * its asserts, shown beside the response.
 * @param {Tab} t
 * @param {Res} res
 */
function checkResponse(t, res) {
  if (!t.item) return;
  const vars = varsFor(t);
  const post = postResponse(mergeByName(t.item.resVars, t.item.data.vars?.res), res, vars);
  if (Object.keys(post.set).length) setRuntime({ ...state.runtime, ...post.set });
  renderAsserts(runAssertions(t.item.data.assertions || [], res, { ...vars, ...post.set }), post.errors);
}

/**
 * @param {AssertResult[] | null} results null: the request is not from the collection
 * @param {string[]} varErrors
 */
function renderAsserts(results, varErrors) {
  const list = $('assert-list');
  list.replaceChildren(...(results || []).map((a) => el('li', { 'data-status': a.status },
    el('span', a.status === 'pass' ? 'pg-pass' : 'pg-fail', a.status),
    el('code', '', `${a.name}: ${a.value}`),
    a.status === 'fail' ? el('span', 'pg-why', `${a.error || ''}${a.actual ? ` (actual ${a.actual})` : ''}`) : null)));
  const item = current()?.item;
  const pending = item ? `Send the request to run its ${(item.data.assertions || []).filter((a) => a.enabled !== false).length} asserts.` : 'Open a request from the collection to see its asserts.';
  $('assert-none').hidden = Boolean(results && results.length);
  $('assert-none').textContent = results ? 'This request has no asserts.' : pending;
  const count = $('assert-count');
  count.hidden = !results || !results.length;
  if (results) {
    const passed = results.filter((a) => a.status === 'pass').length;
    count.textContent = `${passed}/${results.length}`;
    count.dataset.ok = String(passed === results.length);
  }
  const errors = $('var-errors');
  errors.hidden = !varErrors.length;
  errors.textContent = varErrors.length ? `vars:post-response: ${varErrors.join('; ')}` : '';
}

/** @param {Record<string, unknown>} vars */
function setRuntime(vars) {
  state.runtime = vars;
  delete state.runtime[KEY_VAR];
  saveRuntime(state.runtime);
  renderVars();
}

/** @param {unknown} v */
function varText(v) { return typeof v === 'string' ? v : show(v); }

function renderVars() {
  const rows = $('vars-rows');
  rows.replaceChildren();
  /** @param {string} name @param {string} value @param {string} source */
  const fixed = (name, value, source) => {
    const n = el('td', { title: name }, name, el('span', 'pg-var-src', source));
    rows.append(el('tr', { 'data-var': name }, n, el('td', { title: value }, value), el('td')));
  };
  fixed(KEY_VAR, state.key ? '•••• (session)' : '(no key)', 'session');
  fixed('host', location.origin, 'page');
  for (const [k, v] of Object.entries(envVars())) if (k !== 'host') fixed(k, varText(v), 'env');
  for (const [k, v] of Object.entries(state.runtime)) {
    const input = el('input', { class: 'pg-input', value: varText(v), 'aria-label': `Value of ${k}` });
    input.addEventListener('change', () => setRuntime({ ...state.runtime, [k]: input.value }));
    const del = el('button', { class: 'icon-btn', type: 'button', 'aria-label': `Remove ${k}` }, '×');
    del.addEventListener('click', () => { const next = { ...state.runtime }; delete next[k]; setRuntime(next); });
    rows.append(el('tr', { 'data-var': k }, el('td', { title: k }, k, el('span', 'pg-var-src', 'runtime')), el('td', '', input), el('td', '', del)));
  }
  $('vars-count').textContent = `(${Object.keys(state.runtime).length} runtime)`;
}

function renderEnvOptions() {
  const select = $('env-select', HTMLSelectElement);
  const names = (state.collection.environments || []).map((e) => e.name);
  select.replaceChildren(el('option', { value: '' }, 'No environment'), ...names.map((n) => el('option', { value: n }, n)));
  select.value = names.includes(state.envName) ? state.envName : '';
}

// ---- history (localStorage; the key is never stored) -------------------------------
/** @param {Request} r */
function redact(r) {
  let body = r.body;
  if (body) {
    try {
      /** @type {unknown} */
      const v = JSON.parse(body);
      if (v && typeof v === 'object' && 'apikey' in v) v.apikey = '';
      body = pretty(v);
    } catch { /* not JSON: store as typed */ }
  }
  const url = new URL(r.url);
  if (url.searchParams.has('apikey')) url.searchParams.set('apikey', '');
  // {{apikey}} may have put the key in any field or parameter.
  const scrub = (/** @type {string} */ s) => (state.key ? s.split(state.key).join('') : s);
  return { body: body === null ? null : scrub(body), path: scrub(url.pathname + url.search) };
}

/** @returns {HistoryEntry[]} */
function loadHistory() {
  try { return JSON.parse(localStorage.getItem(HISTORY_KEY) || '[]'); } catch { return []; }
}

/**
 * @param {Request & { name: string }} r
 * @param {Result} result
 */
function addHistory(r, result) {
  const { body, path } = redact(r);
  const list = loadHistory();
  list.unshift({ at: Date.now(), name: r.name, method: r.method, path, body, status: result.status, ms: result.ms });
  try { localStorage.setItem(HISTORY_KEY, JSON.stringify(list.slice(0, HISTORY_MAX))); } catch { /* full */ }
  renderHistory();
}

/** @param {HistoryEntry} h */
function replay(h) {
  const url = new URL(h.path, location.origin);
  let body = h.body || '';
  if (h.method === 'GET') {
    const obj = Object.fromEntries(url.searchParams);
    if ('apikey' in obj) obj.apikey = state.key;
    body = pretty(obj);
  } else {
    try {
      /** @type {unknown} */
      const v = JSON.parse(body);
      if (v && typeof v === 'object' && 'apikey' in v) v.apikey = state.key;
      body = pretty(v);
    } catch { /* keep */ }
  }
  setMode('rest');
  openTab(h.name || url.pathname, h.method, url.pathname, body);
}

function renderHistory() {
  const list = loadHistory();
  $('history-count').textContent = `(${list.length})`;
  const ul = $('history');
  ul.replaceChildren();
  for (const h of list) {
    const b = el('button', { type: 'button', title: `Replay ${h.method} ${h.path} (${dateTime(h.at)})` },
      el('span', `pg-m ${h.method}`, h.method), el('span', '', h.name || h.path),
      el('span', 'muted', `${h.status}`));
    b.addEventListener('click', () => replay(h));
    ul.append(el('li', '', b));
  }
}

// ---- modes -------------------------------------------------------------------------
/** @param {'rest' | 'ws' | 'run'} mode */
function setMode(mode) {
  $('mode-rest').setAttribute('aria-pressed', String(mode === 'rest'));
  $('mode-ws').setAttribute('aria-pressed', String(mode === 'ws'));
  $('mode-run').setAttribute('aria-pressed', String(mode === 'run'));
  $('rest-panel').hidden = mode !== 'rest';
  $('ws-panel').hidden = mode !== 'ws';
  $('run-panel').hidden = mode !== 'run';
}

// ---- wiring ------------------------------------------------------------------------
$('search').addEventListener('input', renderSidebar);
$('sidebar-toggle').addEventListener('click', () => {
  const closed = $('sidebar').classList.toggle('closed');
  $('sidebar-toggle').setAttribute('aria-expanded', String(!closed));
});
$('new-tab').addEventListener('click', () => {
  const first = Object.values(state.endpoints).find((l) => l.length)?.[0];
  if (first) openEndpoint(first);
});
$('mode-rest').addEventListener('click', () => setMode('rest'));
$('mode-ws').addEventListener('click', () => setMode('ws'));
$('mode-run').addEventListener('click', () => setMode('run'));
$('env-select').addEventListener('change', () => {
  state.envName = $('env-select', HTMLSelectElement).value;
  saveEnvName(state.envName);
  renderVars();
  renderCode();
});
$('var-add').addEventListener('submit', (e) => {
  e.preventDefault();
  const name = $('var-name', HTMLInputElement).value.trim();
  if (!/^[\w.-]+$/.test(name)) { toast('A variable name is letters, digits, _ . or -', 'error'); return; }
  if (name === KEY_VAR) { toast('The API key always comes from your session', 'error'); return; }
  setRuntime({ ...state.runtime, [name]: $('var-value', HTMLInputElement).value });
  $('var-name', HTMLInputElement).value = '';
  $('var-value', HTMLInputElement).value = '';
});
$('vars-clear').addEventListener('click', () => setRuntime({}));
$('body').addEventListener('input', () => {
  const t = current();
  if (!t) return;
  const wasModified = t.body !== t.initial;
  t.body = bodyInput.value;
  updateGutter();
  if (wasModified !== (t.body !== t.initial)) renderTabs();
  renderCode();
});
bodyInput.addEventListener('scroll', () => { gutter.scrollTop = bodyInput.scrollTop; });
for (const input of [methodSelect, pathInput]) input.addEventListener('input', () => { saveEditor(); renderCode(); });
methodSelect.addEventListener('change', () => { saveEditor(); renderTabs(); renderCode(); });
$('url-form').addEventListener('submit', (e) => { e.preventDefault(); send(); });
$('prettify').addEventListener('click', () => {
  try {
    bodyInput.value = pretty(JSON.parse(bodyInput.value));
    bodyInput.dispatchEvent(new Event('input'));
    toast('JSON prettified', 'success');
  } catch {
    toast('Invalid JSON - cannot prettify', 'error');
  }
});
$('reset-body').addEventListener('click', () => {
  const t = current();
  if (!t) return;
  bodyInput.value = t.initial;
  bodyInput.dispatchEvent(new Event('input'));
});
$('add-header').addEventListener('click', () => {
  const t = current();
  if (!t) return;
  t.headers.push({ name: '', value: '' });
  renderHeaders(t);
});
for (const b of $$('[data-pane]:not(.pg-subpane)')) {
  b.addEventListener('click', () => {
    for (const x of document.querySelectorAll('button[data-pane]')) x.setAttribute('aria-selected', String(x === b));
    for (const p of $$('.pg-subpane[data-pane]')) p.hidden = p.dataset.pane !== b.dataset.pane;
    if (b.dataset.pane === 'code') renderCode();
  });
}
for (const b of $$('button[data-rpane]')) {
  b.addEventListener('click', () => {
    for (const x of document.querySelectorAll('button[data-rpane]')) x.setAttribute('aria-selected', String(x === b));
    for (const p of $$('.pg-subpane[data-rpane]')) p.hidden = p.dataset.rpane !== b.dataset.rpane;
  });
}
$('code-lang').addEventListener('change', renderCode);
$('code-copy').addEventListener('click', () => copyText($('code').textContent ?? '', 'Snippet copied!'));
$('copy-response').addEventListener('click', () => state.last && copyText(state.last.text, 'Response copied!'));
$('copy-curl').addEventListener('click', () => {
  if (!current()) return;
  const r = buildRequest();
  if (r.error !== undefined) { toast(r.error, 'error'); return; }
  copyText(curl(r), 'cURL copied!');
});
$('history-clear').addEventListener('click', () => {
  try { localStorage.removeItem(HISTORY_KEY); } catch { /* blocked */ }
  renderHistory();
  toast('History cleared', 'success');
});
$('key-eye').addEventListener('click', () => {
  state.keyVisible = !state.keyVisible;
  $('key-field', HTMLInputElement).type = state.keyVisible ? 'text' : 'password';
  $('key-eye').setAttribute('aria-label', state.keyVisible ? 'Hide API key' : 'Show API key');
});
$('key-copy').addEventListener('click', () => state.key && copyText(state.key, 'API key copied!'));
document.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && !$('rest-panel').hidden) {
    e.preventDefault();
    send();
  }
});

/** The chosen key in the sidebar field. */
function showKey() {
  $('key-field', HTMLInputElement).value = state.key;
  $('key-eye', HTMLButtonElement).disabled = !state.key;
  $('key-copy', HTMLButtonElement).disabled = !state.key;
}

/** The user's named keys in the key picker (names and scopes; secrets only when picked). */
async function loadKeyChoices() {
  const pick = $('key-pick', HTMLSelectElement);
  try {
    /** @type {{ keys: Array<{ name: string, scopes: string }> }} */
    const r = await getJson('/apikey/keys');
    pick.replaceChildren(pick.options[0] || el('option', { value: '' }, 'Primary key (all scopes)'),
      ...r.keys.map((k) => el('option', { value: k.name }, `${k.name} (${k.scopes.split(',').join(', ')})`)));
  } catch { /* the primary key alone */ }
  const want = keyChoice();
  pick.value = [...pick.options].some((o) => o.value === want) ? want : '';
  if (pick.value !== want) await switchKey('');
}

/**
 * Fills in another of the user's keys: open requests that carry the old key get the new.
 * @param {string} name
 */
async function switchKey(name) {
  const old = state.key;
  chooseKey(name);
  state.key = await apiKey();
  if (old && old !== state.key) {
    for (const t of state.tabs) {
      t.body = t.body.split(old).join(state.key);
      t.initial = t.initial.split(old).join(state.key);
    }
  }
  showKey();
  renderVars();
  renderRequest();
}

$('key-pick').addEventListener('change', () => {
  switchKey($('key-pick', HTMLSelectElement).value)
    .then(() => toast(state.key ? 'The playground now fills in this key' : 'No key to fill in', 'success'))
    .catch((e) => toast(errorMessage(e), 'error'));
});

/** @type {ReturnType<typeof initWs> | null} */
let ws = null;

async function init() {
  initShell();
  $('origin').textContent = location.origin;
  /** @type {[Record<string, Endpoint[]>, string, Collection]} */
  const [endpoints, key, collection] = await Promise.all([
    getJson('/playground/endpoints'), apiKey(), getJson('/playground/collections?format=bruno'),
  ]);
  state.endpoints = endpoints;
  state.key = key;
  state.collection = collection;
  const folders = plan(collection);
  state.requests = folders.flatMap((f) => f.requests);
  state.runtime = loadRuntime();
  const envs = (collection.environments || []).map((e) => e.name);
  const saved = loadEnvName();
  state.envName = saved !== null && (saved === '' || envs.includes(saved)) ? saved : envs[0] || '';
  renderEnvOptions();
  renderVars();
  initRunPanel({
    folders,
    context: () => ({
      collection: entries(collection.root?.vars?.req ?? collection.root?.request?.vars?.req),
      env: envVars(), runtime: state.runtime, key: state.key, origin: location.origin,
    }),
    environment: () => state.envName,
    onVars: () => setRuntime(state.runtime),
  });
  showKey();
  loadKeyChoices();
  for (const cat of Object.keys(endpoints)) if (!OPEN_AT_START.has(cat)) state.collapsed.add(cat);
  ws = initWs({ endpoints: endpoints.websocket || [] });
  renderSidebar();
  renderRequest();
  renderHistory();
}

init().catch((e) => toast(`Cannot load the playground: ${errorMessage(e)}`, 'error'));
