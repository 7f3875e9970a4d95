// The Action Center (reference/openalgo-rest.md §5.4): queued semi-auto orders, approve /
// reject / delete / approve all, live over server-sent events. Data only reaches the DOM
// as text.
import { initShell, liveEvents, setBadge } from '../app.js';
import { confirmDialog, toast } from '../ui.js';
import { ApiError, getJson, postJson, sendJson } from '../api.js';

const $ = (id) => document.getElementById(id);
const state = { tab: 'pending', orders: [], stats: null, loading: false, again: false };

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('data-')) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function fmt(v) {
  if (v === null || v === undefined || v === '') return '—';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : v.toFixed(2);
  return String(v);
}

function field(label, value, testid) {
  return el('div', { class: 'kv' }, el('span', { class: 'kv-label' }, label),
    el('span', { class: 'kv-value', 'data-testid': testid }, fmt(value)));
}

const TYPE_NAMES = {
  placeorder: 'Order', smartorder: 'Smart order', basketorder: 'Basket', splitorder: 'Split order',
};

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
    field('Queued', o.created_at_ist));
  if (o.api_type === 'smartorder') box.append(field('Target position', o.position_size));
  const parts = [box];
  if (o.api_type === 'basketorder' && Array.isArray(o.legs)) {
    const rows = o.legs.map((l, i) => el('tr', {},
      el('td', {}, i + 1), el('td', {}, fmt(l.symbol)), el('td', {}, fmt(l.exchange)),
      el('td', {}, fmt(String(l.action || '').toUpperCase())), el('td', {}, fmt(l.quantity)),
      el('td', {}, fmt(l.pricetype || 'MARKET')), el('td', {}, fmt(l.product || 'MIS')),
      el('td', {}, fmt(l.price))));
    parts.push(el('table', { class: 'legs', 'data-testid': 'basket-legs' },
      el('thead', {}, el('tr', {}, ...['#', 'Symbol', 'Exchange', 'Action', 'Qty', 'Type', 'Product', 'Price']
        .map((h) => el('th', {}, h)))),
      el('tbody', {}, ...rows)));
  }
  if (o.api_type === 'splitorder' && Array.isArray(o.split_sizes)) {
    parts.push(el('p', { class: 'small', 'data-testid': 'split-sizes' },
      `${o.split_sizes.length} orders of ${d.splitsize}: ${o.split_sizes.join(' + ')} = ${fmt(o.quantity)}`));
  }
  return parts;
}

function result(o) {
  if (o.status === 'rejected') {
    return el('div', { class: 'result result-rejected', 'data-testid': 'result' },
      el('strong', {}, 'Rejected'), ` by ${fmt(o.rejected_by)} at ${fmt(o.rejected_at_ist)}. Reason: `,
      el('em', {}, fmt(o.rejected_reason)));
  }
  if (o.status !== 'approved') return null;
  const st = o.execution_state;
  const label = { executing: 'Executing…', executed: 'Executed', failed: 'Execution failed' }[st] || st;
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
      el('pre', { class: 'json' }, JSON.stringify(o.execution_result, null, 2))));
  }
  return box;
}

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

function card(o) {
  const side = String(o.action || '').toUpperCase();
  return el('article', { class: 'card ac-order', 'data-testid': 'order', 'data-id': o.id },
    el('header', { class: 'ac-order-head' },
      el('span', { class: `side side-${side.toLowerCase()}` }, side || '—'),
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
    $('stat-pending').textContent = s.total_pending;
    $('stat-approved').textContent = s.total_approved;
    $('stat-rejected').textContent = s.total_rejected;
    $('stat-sides').textContent = `${s.total_buy_orders} / ${s.total_sell_orders}`;
    $('stat-types').textContent = `${s.total_placeorder} orders · ${s.total_smartorder} smart · ${s.total_basketorder} baskets · ${s.total_splitorder} splits`;
    $('count-pending').textContent = s.total_pending;
    $('count-approved').textContent = s.total_approved;
    $('count-rejected').textContent = s.total_rejected;
    setBadge(s.total_pending);
    $('approve-all').disabled = s.total_pending === 0;
  }
  for (const t of document.querySelectorAll('.tab')) {
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

function outcome(r) {
  if (r.status === 'success') toast(r.message, 'success');
  else toast(r.message, r.status === 'info' ? 'info' : 'error');
}

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
    toast(b && b.status === 'warning' ? `${b.message}: ${b.error}` : e.message, 'error');
  }
  await load();
}

function askReason(o) {
  const dlg = $('reject-dialog');
  $('reject-id').textContent = `#${o.id}`;
  $('reject-reason').value = '';
  return new Promise((resolve) => {
    dlg.addEventListener('close', () => resolve(dlg.returnValue === 'confirm' ? $('reject-reason').value : null), { once: true });
    dlg.returnValue = '';
    dlg.showModal();
    $('reject-reason').focus();
  });
}

async function rejectOne(o) {
  const reason = await askReason(o);
  if (reason === null) return;
  try {
    outcome(await postJson(`/action-center/reject/${o.id}`, { reason }));
  } catch (e) {
    toast(e.message, 'error');
  }
  await load();
}

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
    toast(e.message, 'error');
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
  $('approve-all').disabled = true;
  try {
    const r = await postJson('/action-center/approve-all');
    outcome(r);
    for (const f of r.failed_executions || []) toast(`Order #${f.order_id}: ${f.error}`, 'error', 6000);
  } catch (e) {
    toast(e.message, 'error');
  }
  await load();
});

for (const t of document.querySelectorAll('.tab')) {
  t.addEventListener('click', () => {
    state.tab = t.dataset.status;
    render();
    load();
  });
}
$('refresh').addEventListener('click', load);

function live() {
  const es = liveEvents();
  const mark = (s, text) => { $('live').dataset.state = s; $('live-text').textContent = text; };
  es.addEventListener('open', () => { mark('on', 'Live'); load(); });
  es.addEventListener('error', () => mark('off', 'Reconnecting'));
  es.addEventListener('pending_order_created', (ev) => {
    try {
      toast(JSON.parse(ev.data).message, 'info');
    } catch { /* malformed event: reload anyway */ }
    load();
  });
  es.addEventListener('pending_order_updated', load);
  es.addEventListener('resync', load);
  if (es.readyState === EventSource.OPEN) mark('on', 'Live');
}

getJson('/apikey').then((d) => d.login_username, () => undefined)
  .then((username) => initShell({ username }));
load();
live();
