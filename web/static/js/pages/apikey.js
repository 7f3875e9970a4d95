// @ts-check
// The API key page (reference/openalgo-ws-sdk-ui.md §3.6): the primary key and order mode,
// then the named keys (create, edit, reveal, copy, rotate, revoke) and their audit log.
// Keys are fetched over the session and only ever placed in the DOM as text.
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
 * A named key as `/apikey/keys` lists it (keyservice::NamedKeyInfo; no secret): `policy`
 * is the limits in one line, the fields after it each limit as stored (lists
 * comma-separated), for the edit form.
 * @typedef {{ name: string, scopes: string, mode: string, policy: string,
 *   symbols: string | null, products: string | null, max_qty: number | null,
 *   max_value: number | null, max_orders_per_day: number | null, allow_ips: string | null,
 *   ip_all_requests: boolean,
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
    rowButton('Edit', 'btn-ghost edit', () => openKeyDialog(k)),
    rowButton('Reveal', 'btn-ghost reveal', () => reveal(k.name)),
    rowButton('Copy', 'btn-ghost copy', () => copyKey(k.name)),
    rowButton('Rotate', 'btn-ghost rotate', () => openRotate(k.name)),
    rowButton('Revoke', 'btn-danger revoke', () => revoke(k.name)),
  );
  // Each row has the same buttons: a screen reader hears which key each one acts on.
  for (const b of actions.children) b.setAttribute('aria-label', `${b.textContent} key ${k.name}`);
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

/** The key dialog's inputs by the field names the server's messages use. */
const FIELD_INPUTS = /** @type {Record<string, string>} */ ({
  name: 'key-name', scopes: 'key-scopes', mode: 'key-mode', symbols: 'key-symbols',
  products: 'key-products', max_qty: 'key-max-qty', max_value: 'key-max-value',
  max_orders_per_day: 'key-max-orders', expires: 'key-expires', allow_ip: 'key-ips',
  allow_ips: 'key-ips', ip_all_requests: 'key-ip-all',
});

/**
 * Marks the input a server message names ("max-qty: must be ..."), if any, and moves the
 * focus there (to a group's first box).
 * @param {string} message
 */
function markField(message) {
  for (const e of $$('#create-form .invalid')) {
    e.classList.remove('invalid');
    e.removeAttribute('aria-invalid');
  }
  const m = /^([a-z_-]+):/.exec(message);
  const conflict = /already exists/.test(message) ? 'name' : null;
  const field = conflict || (m && (m[1] || '').replaceAll('-', '_'));
  const id = field && FIELD_INPUTS[field];
  if (id) {
    const input = $(id);
    input.classList.add('invalid');
    input.setAttribute('aria-invalid', 'true');
    (input instanceof HTMLFieldSetElement ? input.querySelector('input') || input : input).focus();
  }
}

/**
 * The values of the ticked boxes of a group.
 * @param {string} groupId
 */
function ticked(groupId) {
  return $$(`#${groupId} input[type="checkbox"]`)
    .filter((i) => i instanceof HTMLInputElement && i.checked)
    .map((i) => /** @type {HTMLInputElement} */ (i).value);
}

/**
 * Ticks exactly the boxes of a group whose value is listed.
 * @param {string} groupId
 * @param {string[]} values
 */
function tick(groupId, values) {
  for (const i of $$(`#${groupId} input[type="checkbox"]`)) {
    if (i instanceof HTMLInputElement) i.checked = values.includes(i.value);
  }
}

/**
 * A stored comma-separated list as a list.
 * @param {string | null | undefined} s
 */
function items(s) {
  return (s || '').split(',').map((x) => x.trim()).filter(Boolean);
}

/**
 * An RFC 3339 time as a datetime-local value in the browser's time (to the minute).
 * @param {string | null | undefined} t
 */
function localInput(t) {
  const d = t ? new Date(t) : null;
  if (!d || Number.isNaN(d.getTime())) return '';
  /** @param {number} n */
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/**
 * The dialog's fields as the server reads them, each as the user left it: lists as
 * arrays, the rest as trimmed text (blank clears a limit), the switch as a boolean.
 * @returns {Record<string, string | boolean | string[]>}
 */
function formValues() {
  /** @param {string} id */
  const v = (id) => $(id, HTMLInputElement).value.trim();
  return {
    scopes: ticked('key-scopes'),
    mode: $('key-mode', HTMLSelectElement).value,
    symbols: v('key-symbols'),
    products: ticked('key-products'),
    max_qty: v('key-max-qty'),
    max_value: v('key-max-value'),
    max_orders_per_day: v('key-max-orders'),
    expires: v('key-expires'),
    allow_ips: $('key-ips', HTMLTextAreaElement).value.trim(),
    ip_all_requests: $('key-ip-all', HTMLInputElement).checked,
  };
}

/**
 * A datetime-local value (the browser's wall time) as RFC 3339, which the server takes.
 * @param {string} local
 */
function rfc3339(local) {
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? local : d.toISOString();
}

/**
 * The key being edited and its fields as the dialog first showed them (null: creating).
 * @type {{ name: string, initial: Record<string, string | boolean | string[]> } | null}
 */
let editing = null;
const NAME_HELP = $('key-name-help').textContent;

/**
 * Opens the key dialog: empty to create a key, or filled in from `k` to edit its policy
 * (its name cannot change).
 * @param {NamedKey} [k]
 */
function openKeyDialog(k) {
  // A key's mode is fixed when it is made ("same as my account" then means the account's).
  // Set before the reset, which selects the first option that is not disabled.
  const accountMode = $('key-mode-account', HTMLOptionElement);
  accountMode.hidden = Boolean(k);
  accountMode.disabled = Boolean(k);
  $('create-form', HTMLFormElement).reset();
  markField('');
  $('create-error').textContent = '';
  const name = $('key-name', HTMLInputElement);
  name.readOnly = Boolean(k);
  $('key-name-help').textContent = k ? 'A key keeps its name; make a new key for another name.' : NAME_HELP;
  $('edit-note').hidden = !k;
  $('create-title').textContent = k ? `Edit key ${k.name}` : 'New named key';
  $('create-save').textContent = k ? 'Save changes' : 'Create key';
  editing = null;
  if (k) {
    name.value = k.name;
    tick('key-scopes', items(k.scopes));
    $('key-mode', HTMLSelectElement).value = k.mode;
    $('key-symbols', HTMLInputElement).value = items(k.symbols).join(', ');
    tick('key-products', items(k.products));
    $('key-max-qty', HTMLInputElement).value = k.max_qty == null ? '' : String(k.max_qty);
    $('key-max-value', HTMLInputElement).value = k.max_value == null ? '' : String(k.max_value);
    $('key-max-orders', HTMLInputElement).value = k.max_orders_per_day == null ? '' : String(k.max_orders_per_day);
    $('key-expires', HTMLInputElement).value = localInput(k.expires_at);
    $('key-ips', HTMLTextAreaElement).value = items(k.allow_ips).join(', ');
    $('key-ip-all', HTMLInputElement).checked = k.ip_all_requests;
    editing = { name: k.name, initial: formValues() };
  }
  $('create-dialog', HTMLDialogElement).showModal();
}

$('new-key').addEventListener('click', () => openKeyDialog());

/** The create form as the server reads it (blank fields left out). */
function createBody() {
  const f = formValues();
  /** @type {Record<string, unknown>} */
  const body = {
    name: $('key-name', HTMLInputElement).value.trim(),
    scopes: f.scopes,
    ip_all_requests: f.ip_all_requests,
  };
  for (const k of ['mode', 'symbols', 'products', 'max_qty', 'max_value', 'max_orders_per_day', 'allow_ips']) {
    const x = f[k];
    if (Array.isArray(x) ? x.length : x) body[k] = x;
  }
  if (f.expires) body.expires = rfc3339(String(f.expires));
  return body;
}

/**
 * The edit as the server reads it: only the fields the user changed, so a limit left alone
 * is left out (and kept), and an emptied one is sent blank (and removed). The expiry goes
 * only when changed, since the input shows it to the minute.
 * @param {Record<string, string | boolean | string[]>} initial
 */
function editBody(initial) {
  const now = formValues();
  /** @type {Record<string, unknown>} */
  const body = {};
  for (const [k, x] of Object.entries(now)) {
    if (JSON.stringify(x) === JSON.stringify(initial[k])) continue;
    body[k] = k === 'expires' && x ? rfc3339(String(x)) : x;
  }
  return body;
}

/** Creates the key; its secret is shown once the dialog closes. */
async function saveNew() {
  /** @type {{ api_key: string, name: string }} */
  const r = await postJson('/apikey/keys', createBody());
  $('create-dialog', HTMLDialogElement).close();
  showSecret(`Your new key ${r.name}`, 'Copy it now into the script or alert that will use it. You can reveal it again from this page.', r.api_key);
}

/**
 * Sends the fields the user changed of the key being edited.
 * @param {{ name: string, initial: Record<string, string | boolean | string[]> }} e
 */
async function saveEdit(e) {
  const body = editBody(e.initial);
  if (Object.keys(body).length === 0) {
    $('create-dialog', HTMLDialogElement).close();
    toast(`Nothing changed in ${e.name}`, 'info');
    return;
  }
  /** @type {{ message: string }} */
  const r = await sendJson('PATCH', `/apikey/keys/${encodeURIComponent(e.name)}`, body);
  $('create-dialog', HTMLDialogElement).close();
  toast(r.message, 'success');
}

$('create-form').addEventListener('submit', async (ev) => {
  const { submitter } = /** @type {SubmitEvent} */ (ev);
  if (submitter instanceof HTMLButtonElement && submitter.value !== 'save') return;
  ev.preventDefault();
  const save = $('create-save', HTMLButtonElement);
  save.disabled = true;
  $('create-error').textContent = '';
  try {
    await (editing ? saveEdit(editing) : saveNew());
    reloadNamed();
  } catch (e) {
    // The dialog stays open with the server's message, the field it names marked.
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
