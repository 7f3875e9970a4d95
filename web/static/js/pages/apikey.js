// @ts-check
// The API key page (reference/openalgo-ws-sdk-ui.md §3.6): the primary key and order mode,
// then the named keys (create, reveal, copy, rotate, revoke) and their audit log. Keys are
// fetched over the session and only ever placed in the DOM as text.
import { initShell } from '../app.js';
import { confirmDialog, copyText, toast } from '../ui.js';
import { ApiError, errorMessage, getJson, postJson, sendJson } from '../api.js';
import { $, $$, cell, el, fillTable, rowButton } from '../dom.js';

/** @import { ApiKeyInfo } from '../api.js' */

/** @type {{ key: string | null, mode: string, visible: boolean, busy: boolean }} */
const state = { key: null, mode: 'auto', visible: false, busy: false };

/** @param {string} key */
function masked(key) {
  return `${key.slice(0, 8)}${'•'.repeat(32)}${key.slice(-8)}`;
}

function render() {
  const key = state.key;
  const has = Boolean(key);
  $('key-description').textContent = has
    ? 'Your API key was generated automatically when your account was created. Use it to authenticate TradingView alerts, the Python SDK and other clients.'
    : 'No API key was found for your account. Generate one to start using the API.';
  $('key-display').textContent = key ? (state.visible ? key : masked(key)) : 'No API key generated';
  $('toggle-key', HTMLButtonElement).disabled = !has;
  $('copy-key', HTMLButtonElement).disabled = !has;
  $('toggle-key').setAttribute('aria-label', state.visible ? 'Hide API key' : 'Show API key');
  $('regenerate-label').textContent = has ? 'Regenerate' : 'Generate';
  $('regenerate', HTMLButtonElement).disabled = state.busy;
  $('regenerate-icon').classList.toggle('spin', state.busy);
  const semi = state.mode === 'semi_auto';
  $('mode-auto').setAttribute('aria-pressed', String(!semi));
  $('mode-semi').setAttribute('aria-pressed', String(semi));
  $('mode-name').textContent = semi ? 'Semi-Auto' : 'Auto';
  $('mode-auto-text').hidden = semi;
  $('mode-semi-text').hidden = !semi;
}

async function load() {
  /** @type {ApiKeyInfo} */
  const data = await getJson('/apikey');
  state.key = data.api_key;
  state.mode = data.order_mode;
  initShell({ username: data.login_username });
  render();
  $('loading').hidden = true;
  $('apikey-content').hidden = false;
}

$('toggle-key').addEventListener('click', () => {
  state.visible = !state.visible;
  render();
});

$('copy-key').addEventListener('click', () => {
  if (state.key) copyText(state.key, 'API key copied to clipboard', 'Failed to copy API key');
});

$('regenerate').addEventListener('click', async () => {
  const has = Boolean(state.key);
  const ok = await confirmDialog(has
    ? {
      title: 'Regenerate API Key?',
      body: 'The current key stops working immediately. Every app, alert and script that uses it must be updated with the new key.',
    }
    : { title: 'Generate API Key?', body: 'A new API key will be created for your account.' });
  if (!ok) return;
  state.busy = true;
  render();
  try {
    /** @type {{ api_key: string }} */
    const r = await postJson('/apikey', {});
    state.key = r.api_key;
    state.visible = true;
    toast('API key generated successfully', 'success');
  } catch (e) {
    toast(e instanceof ApiError ? e.message : 'Failed to update API key', 'error');
  } finally {
    state.busy = false;
    render();
  }
});

for (const btn of [$('mode-auto'), $('mode-semi')]) {
  btn.addEventListener('click', async () => {
    const mode = btn.dataset.mode;
    if (mode === state.mode) return;
    try {
      /** @type {{ mode: string }} */
      const r = await postJson('/apikey/mode', { mode });
      state.mode = r.mode;
      toast(`Order mode updated to ${mode === 'auto' ? 'Auto' : 'Semi-Auto'}`, 'success');
    } catch (e) {
      toast(e instanceof ApiError ? e.message : 'Failed to update the order mode', 'error');
    }
    render();
  });
}

// ---- named keys -------------------------------------------------------------------------

/**
 * A named key as `/apikey/keys` lists it (keyservice::NamedKeyInfo; no secret).
 * @typedef {{ name: string, scopes: string, mode: string, policy: string,
 *   expires_at: string | null, created_at: string, last_used_at: string | null,
 *   last_ip: string | null, previous_valid_until: string | null, unreadable: boolean }} NamedKey
 * @typedef {{ key_name: string, event: string, detail: string, at: string }} AuditEntry
 */

/**
 * An RFC 3339 time in the browser's locale ('' for none, the text itself if unreadable).
 * @param {string | null | undefined} t
 */
function when(t) {
  if (!t) return '';
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? t : d.toLocaleString();
}

/** @param {string | null | undefined} t */
function isPast(t) {
  return Boolean(t) && new Date(/** @type {string} */ (t)).getTime() <= Date.now();
}

/** @param {NamedKey} k */
function keyRow(k) {
  const tr = el('tr', { 'data-key': k.name });
  const name = el('td', 'mono', k.name);
  if (k.unreadable) name.append(el('span', 'key-state bad', 'unreadable policy: refused'));
  else if (isPast(k.expires_at)) name.append(el('span', 'key-state bad', 'expired'));
  if (k.previous_valid_until && !isPast(k.previous_valid_until)) {
    name.append(el('span', { class: 'key-state warn', title: `The previous secret works until ${when(k.previous_valid_until)}` }, 'rotating'));
  }
  const actions = el('td', 'actions');
  actions.append(
    rowButton('Reveal', 'btn-ghost reveal', () => reveal(k.name)),
    rowButton('Copy', 'btn-ghost copy', () => copyKey(k.name)),
    rowButton('Rotate', 'btn-ghost rotate', () => openRotate(k.name)),
    rowButton('Revoke', 'btn-danger revoke', () => revoke(k.name)),
  );
  tr.append(name, cell(k.scopes.split(',').join(', '), 'scopes'),
    cell(k.mode === 'semi_auto' ? 'Semi-Auto' : 'Auto', 'mode'),
    cell(k.policy || 'none', 'wrap limits'), cell(when(k.expires_at) || 'never', 'expires'),
    cell(when(k.created_at)), cell(when(k.last_used_at) || 'never', 'last-used'),
    cell(k.last_ip || '', 'mono last-ip'), actions);
  return tr;
}

async function loadKeys() {
  /** @type {{ keys: NamedKey[] }} */
  const r = await getJson('/apikey/keys');
  fillTable('keys-table', r.keys.map(keyRow), 'keys-empty');
}

async function loadAudit() {
  /** @type {{ entries: AuditEntry[] }} */
  const r = await getJson('/apikey/audit');
  fillTable('audit-table', r.entries.map((a) => {
    const tr = el('tr', { 'data-event': a.event });
    tr.append(cell(when(a.at)), cell(a.key_name, 'mono'), cell(a.event, 'event'), cell(a.detail, 'wrap detail'));
    return tr;
  }), 'audit-empty');
}

/** Reloads the keys and the audit log; a failure is a toast. */
async function reloadNamed() {
  try {
    await Promise.all([loadKeys(), loadAudit()]);
  } catch (e) {
    toast(errorMessage(e), 'error');
  }
}

/** @param {string} name */
function secretOf(name) {
  /** @type {Promise<{ api_key: string }>} */
  const r = getJson(`/apikey/keys/${encodeURIComponent(name)}/secret`);
  return r.then((x) => x.api_key);
}

/**
 * Shows a key in the secret dialog.
 * @param {string} title
 * @param {string} note
 * @param {string} key
 */
function showSecret(title, note, key) {
  $('secret-title').textContent = title;
  $('secret-note').textContent = note;
  $('secret-value').textContent = key;
  $('secret-dialog', HTMLDialogElement).showModal();
}

$('secret-copy').addEventListener('click', () => {
  copyText($('secret-value').textContent || '', 'API key copied to clipboard', 'Failed to copy API key');
});
$('secret-dialog').addEventListener('close', () => { $('secret-value').textContent = ''; });

/** @param {string} name */
async function reveal(name) {
  try {
    showSecret(`Key ${name}`, 'Anyone with this key can use it within its scopes and limits: keep it secret.', await secretOf(name));
  } catch (e) {
    toast(errorMessage(e), 'error');
  }
}

/** @param {string} name */
async function copyKey(name) {
  try {
    await copyText(await secretOf(name), `Key ${name} copied to clipboard`, 'Failed to copy API key');
  } catch (e) {
    toast(errorMessage(e), 'error');
  }
}

/** @param {string} name */
async function revoke(name) {
  const ok = await confirmDialog({
    title: `Revoke ${name}?`,
    body: 'The key stops working on its very next request and its WebSocket connections close. This cannot be undone.',
    confirmLabel: 'Revoke key',
  });
  if (!ok) return;
  try {
    /** @type {{ message: string }} */
    const r = await sendJson('DELETE', `/apikey/keys/${encodeURIComponent(name)}`);
    toast(r.message, 'success');
  } catch (e) {
    toast(errorMessage(e), 'error');
  }
  reloadNamed();
}

/** @type {string | null} */
let rotating = null;
/** @param {string} name */
function openRotate(name) {
  rotating = name;
  $('rotate-name').textContent = name;
  $('rotate-grace', HTMLSelectElement).value = '0';
  $('rotate-error').textContent = '';
  $('rotate-dialog', HTMLDialogElement).showModal();
}

$('rotate-form').addEventListener('submit', async (ev) => {
  const { submitter } = /** @type {SubmitEvent} */ (ev);
  if (submitter instanceof HTMLButtonElement && submitter.value !== 'rotate') return;
  ev.preventDefault();
  const name = rotating;
  if (!name) return;
  try {
    /** @type {{ api_key: string, message: string }} */
    const r = await postJson(`/apikey/keys/${encodeURIComponent(name)}/rotate`, {
      grace_seconds: Number($('rotate-grace', HTMLSelectElement).value),
    });
    $('rotate-dialog', HTMLDialogElement).close();
    showSecret(`New secret of ${name}`, r.message, r.api_key);
  } catch (e) {
    $('rotate-error').textContent = errorMessage(e);
  }
  reloadNamed();
});

/** The create form's inputs by the field names the server's messages use. */
const FIELD_INPUTS = /** @type {Record<string, string>} */ ({
  name: 'key-name', scopes: 'key-scopes', mode: 'key-mode', symbols: 'key-symbols',
  max_qty: 'key-max-qty', max_value: 'key-max-value', max_orders_per_day: 'key-max-orders',
  expires: 'key-expires', allow_ip: 'key-ips', allow_ips: 'key-ips', ip_all_requests: 'key-ip-all',
});

/**
 * Marks the input a server message names ("max-qty: must be ..."), if any.
 * @param {string} message
 */
function markField(message) {
  for (const e of $$('#create-form .invalid')) e.classList.remove('invalid');
  const m = /^([a-z_-]+):/.exec(message);
  const conflict = /already exists/.test(message) ? 'name' : null;
  const field = conflict || (m && (m[1] || '').replaceAll('-', '_'));
  const id = field && FIELD_INPUTS[field];
  if (id) {
    const input = $(id);
    input.classList.add('invalid');
    input.focus();
  }
}

$('new-key').addEventListener('click', () => {
  const form = $('create-form', HTMLFormElement);
  form.reset();
  markField('');
  $('create-error').textContent = '';
  $('create-dialog', HTMLDialogElement).showModal();
});

/** The form as the server reads it (blank fields left out). */
function createBody() {
  /** @param {string} id */
  const v = (id) => $(id, HTMLInputElement).value.trim();
  /** @type {Record<string, unknown>} */
  const body = {
    name: v('key-name'),
    scopes: $$('#key-scopes input[name="scope"]')
      .filter((i) => i instanceof HTMLInputElement && i.checked)
      .map((i) => /** @type {HTMLInputElement} */ (i).value),
    ip_all_requests: $('key-ip-all', HTMLInputElement).checked,
  };
  const mode = $('key-mode', HTMLSelectElement).value;
  if (mode) body.mode = mode;
  /** @type {Array<[string, string]>} */
  const plain = [['symbols', 'key-symbols'], ['max_qty', 'key-max-qty'], ['max_value', 'key-max-value'], ['max_orders_per_day', 'key-max-orders']];
  for (const [k, id] of plain) if (v(id)) body[k] = v(id);
  const ips = $('key-ips', HTMLTextAreaElement).value.trim();
  if (ips) body.allow_ips = ips;
  const expires = v('key-expires');
  if (expires) {
    // datetime-local is the browser's wall time; the server takes RFC 3339.
    const d = new Date(expires);
    body.expires = Number.isNaN(d.getTime()) ? expires : d.toISOString();
  }
  return body;
}

$('create-form').addEventListener('submit', async (ev) => {
  const { submitter } = /** @type {SubmitEvent} */ (ev);
  if (submitter instanceof HTMLButtonElement && submitter.value !== 'save') return;
  ev.preventDefault();
  const save = $('create-save', HTMLButtonElement);
  save.disabled = true;
  try {
    /** @type {{ api_key: string, name: string }} */
    const r = await postJson('/apikey/keys', createBody());
    $('create-dialog', HTMLDialogElement).close();
    showSecret(`Your new key ${r.name}`, 'Copy it now into the script or alert that will use it. You can reveal it again from this page.', r.api_key);
    reloadNamed();
  } catch (e) {
    const message = errorMessage(e);
    $('create-error').textContent = message;
    markField(message);
  } finally {
    save.disabled = false;
  }
});

$('audit-refresh').addEventListener('click', () => reloadNamed());

load().then(reloadNamed).catch((e) => {
  $('loading').hidden = true;
  toast(e instanceof ApiError ? e.message : 'Cannot load the API key', 'error');
});
