// @ts-check
// TradingView alert builder (reference §7). The JSON is built here, in the browser, from
// the user's key fetched over the session; the test alert posts it as TradingView does
// (Content-Type text/plain) to the real /api/v1 endpoint.
import { initShell } from '../app.js';
import { copyText, toast } from '../ui.js';
import { ApiError, errorMessage, getJson, postJson } from '../api.js';
import { $, el, pretty } from '../dom.js';

/** @import { ApiKeyInfo } from '../api.js' */

/** @typedef {{ symbol: string, exchange: string, name: string }} Hit a symbol search result */
/**
 * The alert's JSON: TradingView's placeholders in strategy mode.
 * @typedef {{ apikey: string, strategy: string, symbol: string, exchange: string,
 *   action: string, product: string, pricetype: string, quantity: string,
 *   position_size?: string }} Alert
 */

const symbolInput = $('tv-symbol', HTMLInputElement);
const exchangeSelect = $('tv-exchange', HTMLSelectElement);
const suggestions = $('tv-suggestions');
/**
 * `limited`: the named key made for the alert and what it allows (null: the primary key).
 * @type {{ key: string | null, mode: string, hits: Hit[], active: number,
 *   limited: { name: string, instrument: string, product: string, quantity: string } | null }}
 */
const state = { key: null, mode: 'strategy', hits: [], active: -1, limited: null };
/** @type {ReturnType<typeof setTimeout> | undefined} */
let searchTimer;
let searchSeq = 0;

/** @returns {Alert} */
function alertBody() {
  const symbol = symbolInput.value.trim().toUpperCase();
  const exchange = exchangeSelect.value;
  const product = $('tv-product', HTMLSelectElement).value;
  if (state.mode === 'strategy') {
    return {
      apikey: state.key || '', strategy: 'TradingView Strategy', symbol, exchange,
      action: '{{strategy.order.action}}', product, pricetype: 'MARKET',
      quantity: '{{strategy.order.contracts}}', position_size: '{{strategy.position_size}}',
    };
  }
  return {
    apikey: state.key || '', strategy: 'TradingView Line Alert', symbol, exchange,
    action: $('tv-action', HTMLSelectElement).value, product, pricetype: 'MARKET', quantity: quantity(),
  };
}

function quantity() {
  const q = Math.max(1, Math.trunc(Number($('tv-quantity', HTMLInputElement).value) || 1));
  return String(q);
}

function endpoint() {
  return state.mode === 'strategy' ? 'placesmartorder' : 'placeorder';
}

/** The alert as TradingView would send it: its placeholders filled in. */
function filledBody() {
  const b = alertBody();
  if (state.mode === 'strategy') {
    b.action = 'BUY';
    b.quantity = quantity();
    b.position_size = quantity();
  }
  return b;
}

function render() {
  for (const m of ['strategy', 'line']) $(`mode-${m}`).setAttribute('aria-pressed', String(state.mode === m));
  $('tv-action-label').hidden = state.mode !== 'line';
  $('tv-mode-help').textContent = state.mode === 'strategy'
    ? 'Strategy alerts call placesmartorder: TradingView fills in the order action, contracts and the strategy\'s position size, and algogate trades towards that position.'
    : 'Line alerts call placeorder with a fixed action and quantity.';
  $('tv-url').textContent = `${location.origin}/api/v1/${endpoint()}`;
  $('tv-json').textContent = pretty(alertBody());
  $('tv-nokey').hidden = Boolean(state.key);
  const ready = Boolean(state.key) && symbolInput.value.trim() !== '';
  $('tv-test', HTMLButtonElement).disabled = !ready;
  const instrument = `${exchangeSelect.value}:${symbolInput.value.trim().toUpperCase()}`;
  const l = state.limited;
  const product = $('tv-product', HTMLSelectElement).value;
  $('tv-make-key', HTMLButtonElement).disabled = symbolInput.value.trim() === '';
  $('tv-key-note').textContent = !l
    ? 'The alert uses your primary key, which can do everything. A key limited to this alert can only place orders for this symbol and product, up to this quantity per order.'
    : l.instrument === instrument && l.product === product && l.quantity === quantity()
      ? `The alert uses key ${l.name}: it may only place ${l.product} orders, for ${l.instrument}, at most ${l.quantity} per order. Manage it on the API Key page.`
      : `Key ${l.name} allows only ${l.product} orders for ${l.instrument}, at most ${l.quantity} per order: make a new key for the alert as it is now.`;
  $('tv-test-note').textContent = state.mode === 'strategy'
    ? `The test fills in action BUY, contracts ${quantity()} and position size ${quantity()}, and places a real paper order.`
    : 'The test places a real paper order.';
}

/**
 * @param {string} text
 * @param {string} what
 */
function copy(text, what) {
  return copyText(text, `${what} copied to clipboard`, `Failed to copy the ${what.toLowerCase()}`);
}

function closeSuggestions() {
  suggestions.hidden = true;
  symbolInput.setAttribute('aria-expanded', 'false');
  state.active = -1;
}

/** @param {Hit} hit */
function pick(hit) {
  symbolInput.value = hit.symbol;
  const ex = exchangeSelect;
  if (![...ex.options].some((o) => o.value === hit.exchange)) ex.add(new Option(hit.exchange, hit.exchange));
  ex.value = hit.exchange;
  if (hit.exchange === 'NFO' || hit.exchange === 'BFO' || hit.exchange === 'MCX' || hit.exchange === 'CDS') {
    $('tv-product', HTMLSelectElement).value = 'NRML';
  }
  closeSuggestions();
  render();
}

/** @param {Hit[]} hits */
function showSuggestions(hits) {
  state.hits = hits;
  state.active = -1;
  suggestions.replaceChildren(...hits.map((h, i) => {
    const li = el('li', { role: 'option', id: `tv-hit-${i}`, 'data-symbol': h.symbol, 'data-exchange': h.exchange },
      el('span', '', h.symbol), el('span', 'muted small', `${h.exchange} · ${h.name}`));
    li.addEventListener('mousedown', (ev) => { ev.preventDefault(); pick(h); });
    return li;
  }));
  suggestions.hidden = hits.length === 0;
  symbolInput.setAttribute('aria-expanded', String(hits.length > 0));
}

async function search() {
  const q = symbolInput.value.trim();
  if (!q) { closeSuggestions(); return; }
  const seq = ++searchSeq;
  try {
    /** @type {{ data: Hit[] }} */
    const r = await getJson(`/tradingview/api/search?q=${encodeURIComponent(q)}`);
    if (seq === searchSeq) showSuggestions(r.data);
  } catch (e) {
    if (seq === searchSeq) { closeSuggestions(); toast(errorMessage(e), 'error'); }
  }
}

symbolInput.addEventListener('input', () => {
  render();
  clearTimeout(searchTimer);
  searchTimer = setTimeout(search, 150);
});
symbolInput.addEventListener('keydown', (ev) => {
  const n = state.hits.length;
  if (suggestions.hidden || n === 0) return;
  if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
    ev.preventDefault();
    state.active = (state.active + (ev.key === 'ArrowDown' ? 1 : n - 1)) % n;
    [...suggestions.children].forEach((li, i) => li.setAttribute('aria-selected', String(i === state.active)));
    symbolInput.setAttribute('aria-activedescendant', `tv-hit-${state.active}`);
  } else if (ev.key === 'Enter') {
    ev.preventDefault();
    const hit = state.hits[Math.max(0, state.active)];
    if (hit) pick(hit);
  } else if (ev.key === 'Escape') {
    closeSuggestions();
  }
});
symbolInput.addEventListener('blur', () => setTimeout(closeSuggestions, 100));
$('tv-form').addEventListener('submit', (ev) => ev.preventDefault());
for (const id of ['tv-exchange', 'tv-product', 'tv-action', 'tv-quantity']) {
  $(id).addEventListener('input', render);
  $(id).addEventListener('change', render);
}
for (const m of ['strategy', 'line']) {
  $(`mode-${m}`).addEventListener('click', () => { state.mode = m; render(); });
}
$('copy-url').addEventListener('click', () => copy($('tv-url').textContent ?? '', 'Webhook URL'));
$('copy-json').addEventListener('click', () => copy($('tv-json').textContent ?? '', 'Alert JSON'));

$('tv-test').addEventListener('click', async () => {
  const btn = $('tv-test', HTMLButtonElement);
  btn.disabled = true;
  const out = $('tv-result');
  try {
    // As TradingView posts it: the message text with Content-Type text/plain, no cookies
    // needed (the key authenticates).
    const res = await fetch(`/api/v1/${endpoint()}`, {
      method: 'POST', headers: { 'Content-Type': 'text/plain' }, credentials: 'omit',
      body: JSON.stringify(filledBody()),
    });
    const text = await res.text();
    let shown = text;
    try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch { /* not JSON */ }
    out.textContent = `HTTP ${res.status}\n${shown}`;
    out.dataset.status = String(res.status);
    out.hidden = false;
    toast(res.ok ? 'Test alert accepted' : 'Test alert refused', res.ok ? 'success' : 'error');
  } catch (e) {
    out.textContent = `Request failed: ${errorMessage(e)}`;
    out.hidden = false;
  } finally {
    btn.disabled = false;
    render();
  }
});

$('tv-make-key').addEventListener('click', async () => {
  const symbol = symbolInput.value.trim().toUpperCase();
  const exchange = exchangeSelect.value;
  const qty = quantity();
  const product = $('tv-product', HTMLSelectElement).value;
  const base = `tv-${exchange}-${symbol}`.toLowerCase().replace(/[^a-z0-9._-]/g, '-').slice(0, 56);
  const btn = $('tv-make-key', HTMLButtonElement);
  btn.disabled = true;
  try {
    // A name already taken (an earlier alert's key) gets the next free suffix.
    for (let n = 1; n <= 20; n += 1) {
      const name = n === 1 ? base : `${base}-${n}`;
      try {
        /** @type {{ api_key: string, name: string }} */
        const r = await postJson('/apikey/keys', {
          name, scopes: ['place'], symbols: `${exchange}:${symbol}`, products: [product], max_qty: qty,
        });
        state.key = r.api_key;
        state.limited = { name: r.name, instrument: `${exchange}:${symbol}`, product, quantity: qty };
        toast(`Created key ${r.name} for this alert`, 'success');
        return;
      } catch (e) {
        if (!(e instanceof ApiError && e.status === 409)) throw e;
      }
    }
    toast('Too many keys for this symbol: revoke some on the API Key page', 'error');
  } catch (e) {
    toast(errorMessage(e), 'error');
  } finally {
    render();
  }
});

async function init() {
  initShell();
  render();
  try {
    /** @type {ApiKeyInfo} */
    const data = await getJson('/apikey');
    state.key = data.api_key;
  } catch (e) {
    toast(errorMessage(e), 'error');
  }
  render();
}

init();
