// TradingView alert builder (reference §7). The JSON is built here, in the browser, from
// the user's key fetched over the session; the test alert posts it as TradingView does
// (Content-Type text/plain) to the real /api/v1 endpoint.
import { initShell } from '../app.js';
import { toast } from '../ui.js';
import { getJson } from '../api.js';

const $ = (id) => document.getElementById(id);
const state = { key: null, mode: 'strategy', hits: [], active: -1 };
let searchTimer = null;
let searchSeq = 0;

function alertBody() {
  const symbol = $('tv-symbol').value.trim().toUpperCase();
  const exchange = $('tv-exchange').value;
  const product = $('tv-product').value;
  if (state.mode === 'strategy') {
    return {
      apikey: state.key || '', strategy: 'TradingView Strategy', symbol, exchange,
      action: '{{strategy.order.action}}', product, pricetype: 'MARKET',
      quantity: '{{strategy.order.contracts}}', position_size: '{{strategy.position_size}}',
    };
  }
  return {
    apikey: state.key || '', strategy: 'TradingView Line Alert', symbol, exchange,
    action: $('tv-action').value, product, pricetype: 'MARKET', quantity: quantity(),
  };
}

function quantity() {
  const q = Math.max(1, Math.trunc(Number($('tv-quantity').value) || 1));
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
  $('tv-json').textContent = JSON.stringify(alertBody(), null, 2);
  $('tv-nokey').hidden = Boolean(state.key);
  const ready = Boolean(state.key) && $('tv-symbol').value.trim() !== '';
  $('tv-test').disabled = !ready;
  $('tv-test-note').textContent = state.mode === 'strategy'
    ? `The test fills in action BUY, contracts ${quantity()} and position size ${quantity()}, and places a real paper order.`
    : 'The test places a real paper order.';
}

async function copy(text, what) {
  try {
    await navigator.clipboard.writeText(text);
    toast(`${what} copied to clipboard`, 'success');
  } catch {
    toast(`Failed to copy the ${what.toLowerCase()}`, 'error');
  }
}

function closeSuggestions() {
  $('tv-suggestions').hidden = true;
  $('tv-symbol').setAttribute('aria-expanded', 'false');
  state.active = -1;
}

function pick(hit) {
  $('tv-symbol').value = hit.symbol;
  const ex = $('tv-exchange');
  if (![...ex.options].some((o) => o.value === hit.exchange)) ex.add(new Option(hit.exchange, hit.exchange));
  ex.value = hit.exchange;
  if (hit.exchange === 'NFO' || hit.exchange === 'BFO' || hit.exchange === 'MCX' || hit.exchange === 'CDS') {
    $('tv-product').value = 'NRML';
  }
  closeSuggestions();
  render();
}

function showSuggestions(hits) {
  state.hits = hits;
  state.active = -1;
  const list = $('tv-suggestions');
  list.replaceChildren(...hits.map((h, i) => {
    const li = document.createElement('li');
    li.setAttribute('role', 'option');
    li.id = `tv-hit-${i}`;
    li.dataset.symbol = h.symbol;
    li.dataset.exchange = h.exchange;
    const name = document.createElement('span');
    name.textContent = h.symbol;
    const meta = document.createElement('span');
    meta.className = 'muted small';
    meta.textContent = `${h.exchange} · ${h.name}`;
    li.append(name, meta);
    li.addEventListener('mousedown', (ev) => { ev.preventDefault(); pick(h); });
    return li;
  }));
  list.hidden = hits.length === 0;
  $('tv-symbol').setAttribute('aria-expanded', String(hits.length > 0));
}

async function search() {
  const q = $('tv-symbol').value.trim();
  if (!q) { closeSuggestions(); return; }
  const seq = ++searchSeq;
  try {
    const r = await getJson(`/tradingview/api/search?q=${encodeURIComponent(q)}`);
    if (seq === searchSeq) showSuggestions(r.data);
  } catch (e) {
    if (seq === searchSeq) { closeSuggestions(); toast(e.message, 'error'); }
  }
}

$('tv-symbol').addEventListener('input', () => {
  render();
  clearTimeout(searchTimer);
  searchTimer = setTimeout(search, 150);
});
$('tv-symbol').addEventListener('keydown', (ev) => {
  const n = state.hits.length;
  if ($('tv-suggestions').hidden || n === 0) return;
  if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
    ev.preventDefault();
    state.active = (state.active + (ev.key === 'ArrowDown' ? 1 : n - 1)) % n;
    [...$('tv-suggestions').children].forEach((li, i) => li.setAttribute('aria-selected', String(i === state.active)));
    $('tv-symbol').setAttribute('aria-activedescendant', `tv-hit-${state.active}`);
  } else if (ev.key === 'Enter') {
    ev.preventDefault();
    pick(state.hits[Math.max(0, state.active)]);
  } else if (ev.key === 'Escape') {
    closeSuggestions();
  }
});
$('tv-symbol').addEventListener('blur', () => setTimeout(closeSuggestions, 100));
$('tv-form').addEventListener('submit', (ev) => ev.preventDefault());
for (const id of ['tv-exchange', 'tv-product', 'tv-action', 'tv-quantity']) {
  $(id).addEventListener('input', render);
  $(id).addEventListener('change', render);
}
for (const m of ['strategy', 'line']) {
  $(`mode-${m}`).addEventListener('click', () => { state.mode = m; render(); });
}
$('copy-url').addEventListener('click', () => copy($('tv-url').textContent, 'Webhook URL'));
$('copy-json').addEventListener('click', () => copy($('tv-json').textContent, 'Alert JSON'));

$('tv-test').addEventListener('click', async () => {
  const btn = $('tv-test');
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
    out.textContent = `Request failed: ${e.message}`;
    out.hidden = false;
  } finally {
    btn.disabled = false;
    render();
  }
});

async function init() {
  initShell();
  render();
  try {
    const data = await getJson('/apikey');
    state.key = data.api_key;
  } catch (e) {
    toast(e.message, 'error');
  }
  render();
}

init();
