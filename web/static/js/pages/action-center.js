// @ts-check
// The Action Center (reference/openalgo-rest.md §5.4): queued semi-auto orders, approve /
// reject / delete / approve all, live over server-sent events. Data only reaches the DOM
// as text.
import { initShell, liveEvents, setBadge } from '../app.js';
import { confirmDialog, toast } from '../ui.js';
import { ApiError, errorMessage, getJson, postJson, sendJson } from '../api.js';
import { $, $$, el, pretty, setText } from '../dom.js';

/** @import { ApiKeyInfo, Outcome } from '../api.js' */

// An order as /action-center/api/data sends it (action_center::order_view): the queued
// request's own values (as the client sent them) plus the approval and execution record.
/**
 * @typedef {string | number | boolean | null | undefined} Raw
 * @typedef {{ symbol?: Raw, exchange?: Raw, action?: Raw, quantity?: Raw, pricetype?: Raw,
 *   product?: Raw, price?: Raw, offset?: Raw, option_type?: Raw }} Leg
 * @typedef {{
 *   id: number, api_type: string, status: 'pending' | 'approved' | 'rejected',
 *   action: Raw, symbol: Raw, exchange: Raw, strategy: Raw, quantity: Raw, price: Raw,
 *   trigger_price: Raw, price_type: Raw, product_type: Raw, position_size?: Raw,
 *   created_at_ist: string, approved_at_ist: string | null, approved_by: string | null,
 *   rejected_at_ist: string | null, rejected_by: string | null, rejected_reason: string | null,
 *   execution_state: string | null, execution_result: unknown, execution_error: string | null,
 *   executed_at_ist: string | null, broker_order_id: string | null,
 *   broker_status: string | null, raw_order_data: Record<string, unknown> | null,
 *   legs?: Leg[], split_sizes?: number[], key_name: string | null,
 * }} Queued
 * @typedef {{ total_pending: number, total_approved: number, total_rejected: number,
 *   total_buy_orders: number, total_sell_orders: number, total_placeorder: number,
 *   total_smartorder: number, total_basketorder: number, total_splitorder: number }} Stats
 */

/** @type {{ tab: string, orders: Queued[], stats: Stats | null, loading: boolean, again: boolean }} */
const state = { tab: 'pending', orders: [], stats: null, loading: false, again: false };

/** @param {unknown} v */
function fmt(v) {
  if (v === null || v === undefined || v === '') return '—';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(2);
  return String(v);
}

/**
 * @param {string} label
 * @param {unknown} value
 * @param {string} [testid]
 */
function field(label, value, testid) {
  return el('div', { class: 'kv' }, el('span', { class: 'kv-label' }, label),
    el('span', { class: 'kv-value', 'data-testid': testid }, fmt(value)));
}

/** @type {Record<string, string>} */
const TYPE_NAMES = {
  placeorder: 'Order', smartorder: 'Smart order', basketorder: 'Basket', splitorder: 'Split order',
  optionsorder: 'Options order', optionsmultiorder: 'Options strategy', placegttorder: 'GTT',
};

/**
 * A batch's legs, one row each; the order ids placed so far show under the result.
 * @param {string} testid
 * @param {string[]} heads
 * @param {unknown[][]} rows
 */
function legTable(testid, heads, rows) {
  return el('table', { class: 'legs', 'data-testid': testid },
    el('thead', {}, el('tr', {}, ...['#', ...heads].map((h) => el('th', {}, h)))),
    el('tbody', {}, ...rows.map((r, i) => el('tr', {}, el('td', {}, i + 1), ...r.map((c) => el('td', {}, fmt(c)))))));
}

/** @param {Raw} a */
const side = (a) => String(a || '').toUpperCase();

/** @param {Queued} o */
function details(o) {
  const d = o.raw_order_data || {};
  const box = el('div', { class: 'kv-grid' },
    field('Strategy', o.strategy),
    field('Exchange', o.exchange),
    field('Quantity', o.quantity),
    field('Price type', o.price_type),
    field('Product', o.product_type),
    field('Price', o.price),
    field('Trigger', o.trigger_price),
    field('Queued', o.created_at_ist),
    field('API key', o.key_name ?? 'primary', 'key-name'));
  if (o.api_type === 'smartorder') box.append(field('Target position', o.position_size));
  const parts = [box];
  if (o.api_type === 'basketorder' && Array.isArray(o.legs)) {
    parts.push(legTable('basket-legs', ['Symbol', 'Exchange', 'Action', 'Qty', 'Type', 'Product', 'Price'],
      o.legs.map((l) => [l.symbol, l.exchange, side(l.action), l.quantity, l.pricetype || 'MARKET',
        l.product || 'MIS', l.price])));
  }
  if (o.api_type === 'optionsmultiorder' && Array.isArray(o.legs)) {
    parts.push(legTable('options-legs', ['Offset', 'Option', 'Action', 'Qty', 'Type', 'Product'],
      o.legs.map((l) => [l.offset, l.option_type, side(l.action), l.quantity, l.pricetype || 'MARKET',
        l.product || 'MIS'])));
  }
  if (o.api_type === 'splitorder' && Array.isArray(o.split_sizes)) {
    parts.push(el('p', { class: 'small', 'data-testid': 'split-sizes' },
      `${o.split_sizes.length} orders of ${d.splitsize}: ${o.split_sizes.join(' + ')} = ${fmt(o.quantity)}`));
  }
  return parts;
}

/** @param {Queued} o */
function result(o) {
  if (o.status === 'rejected') {
    return el('div', { class: 'result result-rejected', 'data-testid': 'result' },
      el('strong', {}, 'Rejected'), ` by ${fmt(o.rejected_by)} at ${fmt(o.rejected_at_ist)}. Reason: `,
      el('em', {}, fmt(o.rejected_reason)));
  }
  if (o.status !== 'approved') return null;
  const st = o.execution_state;
  /** @type {Record<string, string>} */
  const labels = { executing: 'Executing…', executed: 'Executed', failed: 'Execution failed' };
  const label = (st && labels[st]) || st;
  const box = el('div', { class: `result result-${st}`, 'data-testid': 'result' },
    el('strong', { 'data-testid': 'execution-state' }, label),
    ` · approved by ${fmt(o.approved_by)} at ${fmt(o.approved_at_ist)}`);
  const kv = el('div', { class: 'kv-grid' },
    field('Broker order id', o.broker_order_id, 'broker-order-id'),
    field('Broker status', o.broker_status, 'broker-status'),
    field('Finished', o.executed_at_ist));
  box.append(kv);
  if (o.execution_error) box.append(el('p', { class: 'form-error' }, o.execution_error));
  if (o.execution_result) {
    box.append(el('details', {}, el('summary', {}, 'Response'),
      el('pre', { class: 'json' }, pretty(o.execution_result))));
  }
  return box;
}

/** @param {Queued} o */
function actions(o) {
  const bar = el('div', { class: 'ac-actions' });
  if (o.status === 'pending') {
    const approve = el('button', { class: 'btn btn-primary', type: 'button', 'data-testid': 'approve' }, 'Approve');
    approve.addEventListener('click', () => approveOne(o, approve));
    const reject = el('button', { class: 'btn btn-danger-ghost', type: 'button', 'data-testid': 'reject' }, 'Reject');
    reject.addEventListener('click', () => rejectOne(o));
    bar.append(approve, reject);
  } else if (o.execution_state !== 'executing') {
    const del = el('button', { class: 'btn btn-ghost', type: 'button', 'data-testid': 'delete' }, 'Delete');
    del.addEventListener('click', () => deleteOne(o));
    bar.append(del);
  }
  return bar;
}

/** @param {Queued} o */
function card(o) {
  const act = side(o.action);
  return el('article', { class: 'card ac-order', 'data-testid': 'order', 'data-id': o.id },
    el('header', { class: 'ac-order-head' },
      el('span', { class: `side side-${act.toLowerCase()}` }, act || '—'),
      el('strong', { class: 'ac-symbol', 'data-testid': 'symbol' }, fmt(o.symbol)),
      el('span', { class: 'pill' }, TYPE_NAMES[o.api_type] || o.api_type),
      el('span', { class: 'muted small' }, `#${o.id}`)),
    ...details(o),
    result(o),
    actions(o));
}

function render() {
  const s = state.stats;
  if (s) {
    setText('stat-pending', s.total_pending);
    setText('stat-approved', s.total_approved);
    setText('stat-rejected', s.total_rejected);
    setText('stat-sides', `${s.total_buy_orders} / ${s.total_sell_orders}`);
    setText('stat-types', `${s.total_placeorder} orders · ${s.total_smartorder} smart · ${s.total_basketorder} baskets · ${s.total_splitorder} splits`);
    setText('count-pending', s.total_pending);
    setText('count-approved', s.total_approved);
    setText('count-rejected', s.total_rejected);
    setBadge(s.total_pending);
    $('approve-all', HTMLButtonElement).disabled = s.total_pending === 0;
  }
  for (const t of $$('.tab')) {
    t.setAttribute('aria-selected', String(t.dataset.status === state.tab));
  }
  $('orders').replaceChildren(...state.orders.map(card));
  $('empty').hidden = state.orders.length > 0;
  $('empty').textContent = `No ${state.tab} orders.`;
}

async function load() {
  // One request at a time; events arriving meanwhile cause one more reload.
  if (state.loading) { state.again = true; return; }
  state.loading = true;
  try {
    do {
      state.again = false;
      /** @type {{ data: { orders: Queued[], statistics: Stats } }} */
      const r = await getJson(`/action-center/api/data?status=${state.tab}`);
      state.orders = r.data.orders;
      state.stats = r.data.statistics;
      render();
    } while (state.again);
  } catch (e) {
    toast(e instanceof ApiError ? e.message : 'Could not load the orders', 'error');
  } finally {
    state.loading = false;
    $('loading').hidden = true;
  }
}

/** @param {Outcome} r */
function outcome(r) {
  if (r.status === 'success') toast(r.message ?? '', 'success');
  else toast(r.message ?? '', r.status === 'info' ? 'info' : 'error');
}

/**
 * @param {Queued} o
 * @param {HTMLButtonElement} btn
 */
async function approveOne(o, btn) {
  const ok = await confirmDialog({
    title: `Approve order #${o.id}?`,
    body: `${TYPE_NAMES[o.api_type] || o.api_type}: ${o.action} ${fmt(o.quantity)} ${fmt(o.symbol)}. It executes immediately.`,
    confirmLabel: 'Approve',
  });
  if (!ok) return;
  btn.disabled = true;
  try {
    outcome(await postJson(`/action-center/approve/${o.id}`));
  } catch (e) {
    const b = e instanceof ApiError ? e.body : null;
    toast(b && b.status === 'warning' ? `${b.message}: ${b.error}` : errorMessage(e), 'error');
  }
  await load();
}

/**
 * The reason typed in the reject dialog, or null when it was cancelled.
 * @param {Queued} o
 * @returns {Promise<string | null>}
 */
function askReason(o) {
  const dlg = $('reject-dialog', HTMLDialogElement);
  const reason = $('reject-reason', HTMLTextAreaElement);
  $('reject-id').textContent = `#${o.id}`;
  reason.value = '';
  return new Promise((resolve) => {
    dlg.addEventListener('close', () => resolve(dlg.returnValue === 'confirm' ? reason.value : null), { once: true });
    dlg.returnValue = '';
    dlg.showModal();
    reason.focus();
  });
}

/** @param {Queued} o */
async function rejectOne(o) {
  const reason = await askReason(o);
  if (reason === null) return;
  try {
    outcome(await postJson(`/action-center/reject/${o.id}`, { reason }));
  } catch (e) {
    toast(errorMessage(e), 'error');
  }
  await load();
}

/** @param {Queued} o */
async function deleteOne(o) {
  const ok = await confirmDialog({
    title: `Delete order #${o.id}?`,
    body: 'The record is removed from the Action Center. Orders already executed stay in the order book.',
    confirmLabel: 'Delete',
  });
  if (!ok) return;
  try {
    outcome(await sendJson('DELETE', `/action-center/delete/${o.id}`));
  } catch (e) {
    toast(errorMessage(e), 'error');
  }
  await load();
}

$('approve-all').addEventListener('click', async () => {
  const n = state.stats ? state.stats.total_pending : 0;
  const ok = await confirmDialog({
    title: `Approve all ${n} pending orders?`,
    body: 'Each order executes immediately, one after another.',
    confirmLabel: 'Approve all',
  });
  if (!ok) return;
  $('approve-all', HTMLButtonElement).disabled = true;
  try {
    /** @type {Outcome & { failed_executions?: Array<{ order_id: number, error: string }> }} */
    const r = await postJson('/action-center/approve-all');
    outcome(r);
    for (const f of r.failed_executions || []) toast(`Order #${f.order_id}: ${f.error}`, 'error', 6000);
  } catch (e) {
    toast(errorMessage(e), 'error');
  }
  await load();
});

for (const t of $$('.tab')) {
  t.addEventListener('click', () => {
    state.tab = t.dataset.status || '';
    render();
    load();
  });
}
$('refresh').addEventListener('click', load);

function live() {
  const es = liveEvents();
  /**
   * @param {string} s
   * @param {string} text
   */
  const mark = (s, text) => { $('live').dataset.state = s; $('live-text').textContent = text; };
  es.addEventListener('open', () => { mark('on', 'Live'); load(); });
  es.addEventListener('error', () => mark('off', 'Reconnecting'));
  es.addEventListener('pending_order_created', (ev) => {
    try {
      toast(/** @type {{ message: string }} */ (JSON.parse(ev.data)).message, 'info');
    } catch { /* malformed event: reload anyway */ }
    load();
  });
  es.addEventListener('pending_order_updated', load);
  es.addEventListener('resync', load);
  if (es.readyState === EventSource.OPEN) mark('on', 'Live');
}

/** @type {Promise<ApiKeyInfo>} */
const info = getJson('/apikey');
info.then((d) => d.login_username, () => undefined)
  .then((username) => initShell({ username }));
load();
live();
