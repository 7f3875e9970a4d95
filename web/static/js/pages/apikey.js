// @ts-check
// The API key page (reference/openalgo-ws-sdk-ui.md §3.6). The key is fetched over the
// session and only ever placed in the DOM as text.
import { initShell } from '../app.js';
import { confirmDialog, copyText, toast } from '../ui.js';
import { ApiError, getJson, postJson } from '../api.js';
import { $ } from '../dom.js';

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

load().catch((e) => {
  $('loading').hidden = true;
  toast(e instanceof ApiError ? e.message : 'Cannot load the API key', 'error');
});
