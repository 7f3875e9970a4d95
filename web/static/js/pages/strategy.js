// @ts-check
// Strategies: the list (active toggle, webhook URL with copy, last alert), the create/edit
// form (mappings with instrument search, the key's limits), each strategy's alert
// templates and alert log. Everything goes through the session routes under /strategy/.
import { initShell } from '../app.js';
import { confirmDialog, copyText, toast } from '../ui.js';
import { errorMessage, getJson, postJson } from '../api.js';
import { $, cell, el, fillTable, pretty, rowButton, showMessage } from '../dom.js';

/**
 * @typedef {{ id: number, symbol: string, exchange: string, quantity: number, product_type: string }} MappingRow
 * @typedef {{ semi_auto: boolean, max_orders_per_day: number | null, expires_at: string | null,
 *   allow_ips: string[] | null }} Limits
 * @typedef {{ id: number, name: string, platform: string, trading_mode: string, is_active: boolean,
 *   is_intraday: boolean, start_time: string | null, end_time: string | null,
 *   squareoff_time: string | null, webhook_path: string | null, key_name: string | null,
 *   limits: Limits | null, mappings: MappingRow[], last_alert_at: string | null,
 *   last_alert_outcome: string | null }} Strategy
 * @typedef {{ id: number, at: string, source_ip: string | null, payload: string, outcome: string,
 *   status: number, detail: string }} AlertRow
 * @typedef {{ symbol: string, exchange: string, name: string }} Hit
 */

/** TradingView's published webhook addresses (the server expands the same preset). */
const TRADINGVIEW_IPS = ['52.89.214.238', '34.212.75.30', '54.218.53.128', '52.32.178.7'];

/** @type {{ list: Strategy[], editing: number | null, selected: number | null, hits: Hit[] }} */
const state = { list: [], editing: null, selected: null, hits: [] };

/** @param {Strategy} s */
function url(s) {
  return s.webhook_path ? `${location.origin}${s.webhook_path}` : '';
}

/** @param {Strategy} s */
function hours(s) {
  return s.is_intraday ? `${s.start_time}–${s.end_time}, square-off ${s.squareoff_time}` : 'positional';
}

async function load() {
  /** @type {{ strategies: Strategy[] }} */
  const r = await getJson('/strategy/api/strategies');
  state.list = r.strategies;
  fillTable('strategies-table', state.list.map(row), 'strategies-empty');
  const sel = state.list.find((s) => s.id === state.selected);
  if (sel) await showDetail(sel);
  else $('detail').hidden = true;
}

/** @param {Strategy} s */
function row(s) {
  const toggle = el('input', { type: 'checkbox', checked: s.is_active, 'aria-label': `${s.name} active`, 'data-testid': `active-${s.id}` });
  toggle.addEventListener('change', async () => {
    try {
      /** @type {{ data: { is_active: boolean } }} */
      const r = await postJson(`/strategy/api/strategy/${s.id}/toggle`);
      toast(`${s.name} is now ${r.data.is_active ? 'active' : 'inactive'}`, 'success');
      await load();
    } catch (e) {
      toast(errorMessage(e), 'error');
      toggle.checked = s.is_active;
    }
  });
  const copy = rowButton('Copy', 'btn-ghost', () => copyText(url(s), 'Webhook URL copied'));
  const last = s.last_alert_at ? `${new Date(s.last_alert_at).toLocaleString()} (${s.last_alert_outcome})` : 'never';
  return el('tr', { 'data-testid': `strategy-${s.id}` },
    cell(s.name),
    cell(s.platform === 'chartink' ? 'Chartink scan' : s.trading_mode),
    cell(hours(s)),
    el('td', '', toggle),
    el('td', '', el('code', 'small', s.webhook_path ? `${s.webhook_path.slice(0, 30)}…` : '(unreadable)'), ' ', copy),
    cell(last),
    el('td', '',
      rowButton('Alerts', 'btn-ghost', () => showDetail(s)),
      rowButton('Edit', 'btn-ghost', () => edit(s)),
      rowButton('New URL', 'btn-ghost', () => rotate(s)),
      rowButton('Delete', 'btn-danger', () => remove(s))));
}

/** @param {Strategy} s */
async function rotate(s) {
  const ok = await confirmDialog({
    title: `New webhook URL for ${s.name}?`,
    body: 'The current URL stops working at once: update every alert that uses it.',
    confirmLabel: 'Replace the URL',
  });
  if (!ok) return;
  try {
    await postJson(`/strategy/api/strategy/${s.id}/rotate`);
    toast('New webhook URL created', 'success');
    state.selected = s.id;
    await load();
  } catch (e) { toast(errorMessage(e), 'error'); }
}

/** @param {Strategy} s */
async function remove(s) {
  const ok = await confirmDialog({
    title: `Delete ${s.name}?`,
    body: 'Its webhook URL, key and alert log are deleted. Open positions stay open.',
    confirmLabel: 'Delete',
  });
  if (!ok) return;
  try {
    await postJson(`/strategy/${s.id}/delete`);
    toast('Strategy deleted', 'success');
    if (state.editing === s.id) resetForm();
    await load();
  } catch (e) { toast(errorMessage(e), 'error'); }
}

/**
 * @param {string} title
 * @param {unknown} body
 */
function template(title, body) {
  const text = typeof body === 'string' ? body : pretty(body);
  return el('div', '',
    el('h3', '', title),
    el('pre', { class: 'code-block', 'data-testid': 'template' }, text),
    rowButton('Copy', 'btn-ghost', () => copyText(text, `${title} copied`)));
}

/** @param {Strategy} s */
async function showDetail(s) {
  state.selected = s.id;
  $('detail').hidden = false;
  $('d-name').textContent = s.name;
  $('d-url').textContent = url(s);
  const symbol = s.mappings[0] ? s.mappings[0].symbol : 'SBIN';
  const parts = [];
  if (s.platform === 'chartink') {
    $('d-help').textContent = 'In Chartink, open the scan\'s alert, paste this URL as its webhook, and put BUY, SELL, SHORT or COVER in the scan\'s name. Chartink sends the matching stocks; mapped ones are traded.';
    parts.push(template('Chartink sends (for reference)', { stocks: symbol, trigger_prices: '100.5', triggered_at: '2:34 pm', scan_name: 'Morning BUY breakout', scan_url: 'morning-buy', alert_name: 'Morning BUY' }));
  } else {
    $('d-help').textContent = 'In TradingView, paste this URL into the alert\'s Webhook URL and one of these into its Message. TradingView only calls ports 80 and 443.';
    if (s.trading_mode === 'BOTH') {
      parts.push(template('Strategy alert (Pine strategy)', { symbol, action: '{{strategy.order.action}}', position_size: '{{strategy.position_size}}' }));
    } else {
      parts.push(template('Strategy alert (Pine strategy)', { symbol, action: '{{strategy.order.action}}' }));
    }
    const entry = s.trading_mode === 'SHORT' ? 'SELL' : 'BUY';
    parts.push(template('Line alert: entry', { symbol, action: entry }));
    parts.push(template('Line alert: exit', { symbol, action: entry === 'BUY' ? 'SELL' : 'BUY', ...(s.trading_mode === 'BOTH' ? { position_size: 0 } : {}) }));
    parts.push(template('Python (openalgo SDK)', `from openalgo import Strategy\nclient = Strategy(host_url="${location.origin}", webhook_id="${(s.webhook_path || '').split('/').pop()}")\nclient.strategyorder("${symbol}", "${entry}"${s.trading_mode === 'BOTH' ? ', 10' : ''})`));
  }
  $('d-templates').replaceChildren(...parts);
  try {
    /** @type {{ alerts: AlertRow[] }} */
    const r = await getJson(`/strategy/api/strategy/${s.id}/alerts`);
    fillTable('alerts-table', r.alerts.map((a) => el('tr', '',
      cell(new Date(a.at).toLocaleString()), cell(a.source_ip || ''), el('td', '', el('code', 'small', a.payload)),
      cell(`${a.outcome} (${a.status})`), cell(a.detail))), 'alerts-empty');
  } catch (e) { toast(errorMessage(e), 'error'); }
}

/** @param {string} v */
function lines(v) {
  return v.split('\n').map((l) => l.trim()).filter((l) => l !== '');
}

function formBody() {
  const intraday = $('s-intraday', HTMLInputElement).checked;
  const mappings = lines($('s-maps', HTMLTextAreaElement).value).map((l) => {
    const [exchange = '', symbol = '', quantity = '', product = ''] = l.split(':');
    return { exchange, symbol, quantity, product_type: product };
  });
  const max = $('s-max-orders', HTMLInputElement).value.trim();
  return {
    name: $('s-name', HTMLInputElement).value.trim(),
    platform: $('s-platform', HTMLSelectElement).value,
    trading_mode: $('s-mode', HTMLSelectElement).value,
    strategy_type: intraday ? 'intraday' : 'positional',
    start_time: $('s-start', HTMLInputElement).value,
    end_time: $('s-end', HTMLInputElement).value,
    squareoff_time: $('s-squareoff', HTMLInputElement).value,
    mappings,
    semi_auto: $('s-semi', HTMLInputElement).checked,
    max_orders_per_day: max === '' ? null : max,
    expires_at: $('s-expires', HTMLInputElement).value.trim(),
    allow_ips: lines($('s-ips', HTMLTextAreaElement).value),
  };
}

function syncForm() {
  const intraday = $('s-intraday', HTMLInputElement).checked;
  $('s-times').hidden = !intraday;
  $('s-mode-label').hidden = $('s-platform', HTMLSelectElement).value === 'chartink';
}

function resetForm() {
  state.editing = null;
  $('strategy-form', HTMLFormElement).reset();
  $('form-title').textContent = 'New strategy';
  $('s-submit').textContent = 'Create strategy';
  $('s-cancel').hidden = true;
  showMessage($('s-error'), '');
  syncForm();
}

/** @param {Strategy} s */
function edit(s) {
  state.editing = s.id;
  const platform = s.platform;
  $('s-name', HTMLInputElement).value = platform === 'chartink' ? s.name.replace(/^chartink_/, '') : s.name.replace(`${platform}_`, '');
  $('s-platform', HTMLSelectElement).value = platform;
  $('s-mode', HTMLSelectElement).value = s.trading_mode;
  $('s-intraday', HTMLInputElement).checked = s.is_intraday;
  if (s.is_intraday) {
    $('s-start', HTMLInputElement).value = s.start_time || '';
    $('s-end', HTMLInputElement).value = s.end_time || '';
    $('s-squareoff', HTMLInputElement).value = s.squareoff_time || '';
  }
  $('s-maps', HTMLTextAreaElement).value = s.mappings.map((m) => `${m.exchange}:${m.symbol}:${m.quantity}:${m.product_type}`).join('\n');
  const l = s.limits;
  $('s-semi', HTMLInputElement).checked = Boolean(l && l.semi_auto);
  $('s-max-orders', HTMLInputElement).value = l && l.max_orders_per_day ? String(l.max_orders_per_day) : '';
  $('s-expires', HTMLInputElement).value = (l && l.expires_at) || '';
  $('s-ips', HTMLTextAreaElement).value = ((l && l.allow_ips) || []).join('\n');
  $('form-title').textContent = `Edit ${s.name}`;
  $('s-submit').textContent = 'Save changes';
  $('s-cancel').hidden = false;
  showMessage($('s-error'), '');
  syncForm();
  $('s-name').focus();
}

$('strategy-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  showMessage($('s-error'), '');
  const editing = state.editing;
  try {
    if (editing === null) {
      /** @type {{ data: { strategy_id: number } }} */
      const r = await postJson('/strategy/api/strategy', formBody());
      state.selected = r.data.strategy_id;
      toast('Strategy created: copy its webhook URL below', 'success');
    } else {
      await postJson(`/strategy/api/strategy/${editing}`, formBody());
      state.selected = editing;
      toast('Strategy saved', 'success');
    }
    resetForm();
    await load();
  } catch (e) {
    showMessage($('s-error'), errorMessage(e));
  }
});

$('s-cancel').addEventListener('click', resetForm);
$('s-intraday').addEventListener('change', syncForm);
$('s-platform').addEventListener('change', syncForm);
$('s-tv-ips').addEventListener('click', () => {
  const box = $('s-ips', HTMLTextAreaElement);
  const have = new Set(lines(box.value));
  box.value = [...have, ...TRADINGVIEW_IPS.filter((ip) => !have.has(ip))].join('\n');
});
$('d-copy-url').addEventListener('click', () => copyText($('d-url').textContent || '', 'Webhook URL copied'));

// ---- instrument search: a pick appends a mapping line ----
const search = $('s-search', HTMLInputElement);
const suggestions = $('s-suggestions');
/** @type {ReturnType<typeof setTimeout> | undefined} */
let timer;
let seq = 0;

/** @param {Hit} h */
function pick(h) {
  const qty = Math.max(1, Math.trunc(Number($('s-qty', HTMLInputElement).value) || 1));
  const box = $('s-maps', HTMLTextAreaElement);
  const line = `${h.exchange}:${h.symbol}:${qty}:${$('s-product', HTMLSelectElement).value}`;
  box.value = [...lines(box.value), line].join('\n');
  search.value = '';
  suggestions.hidden = true;
  search.setAttribute('aria-expanded', 'false');
}

async function find() {
  const q = search.value.trim();
  if (!q) { suggestions.hidden = true; return; }
  const mine = ++seq;
  try {
    /** @type {{ data: Hit[] }} */
    const r = await getJson(`/tradingview/api/search?q=${encodeURIComponent(q)}`);
    if (mine !== seq) return;
    state.hits = r.data;
    suggestions.replaceChildren(...r.data.map((h) => {
      const li = el('li', { role: 'option' }, el('span', '', h.symbol), el('span', 'muted small', ` ${h.exchange} · ${h.name}`));
      li.addEventListener('mousedown', (e) => { e.preventDefault(); pick(h); });
      return li;
    }));
    suggestions.hidden = r.data.length === 0;
    search.setAttribute('aria-expanded', String(r.data.length > 0));
  } catch (e) {
    if (mine === seq) { suggestions.hidden = true; toast(errorMessage(e), 'error'); }
  }
}

search.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(find, 150); });
search.addEventListener('keydown', (e) => {
  const first = state.hits[0];
  if (e.key === 'Enter' && first && !suggestions.hidden) { e.preventDefault(); pick(first); }
});
search.addEventListener('blur', () => { suggestions.hidden = true; });

initShell();
syncForm();
load().catch((e) => toast(errorMessage(e), 'error'));
