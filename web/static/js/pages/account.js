// @ts-check
// The paper account: funds, orders (cancel, modify), trades, positions (close), holdings,
// active GTTs (cancel, modify).
// Books come from the session routes /account/api/*; an EventSource on
// /account/api/events reloads them when one of the user's orders changes, and a timer
// refreshes prices and P&L.
import { initShell } from '../app.js';
import { confirmDialog, toast } from '../ui.js';
import { errorMessage, getJson, postJson } from '../api.js';
import { $, cell, el, fillDefinitions, fillTable, rowButton } from '../dom.js';

/** @import { Outcome } from '../api.js' */

// The books as /account/api/<tab> sends them (OpenAlgo's shapes, api_v1::account).
/**
 * @typedef {{ orderid: string, timestamp: string, symbol: string, exchange: string,
 *   action: string, quantity: number, price: number, trigger_price: number,
 *   pricetype: string, product: string, order_status: string, rejection_reason: string,
 *   average_price: number, strategy: string }} Order
 * @typedef {{ total_open_orders: number, total_trigger_pending_orders: number,
 *   total_completed_orders: number, total_rejected_orders: number }} OrderStats
 * @typedef {{ tradeid: string, orderid: string, timestamp: string, symbol: string,
 *   exchange: string, action: string, quantity: number, average_price: number,
 *   trade_value: number, product: string, strategy: string }} Trade
 * @typedef {{ symbol: string, exchange: string, product: string, quantity: number,
 *   average_price: number, ltp: number, pnl: number, today_realized_pnl: number }} Position
 * @typedef {{ symbol: string, exchange: string, quantity: number, average_price: number,
 *   ltp: number, current_value: number, pnl: number, pnlpercent: number,
 *   settlement_date: string }} Holding
 * @typedef {{ totalholdingvalue: number, totalinvvalue: number, totalprofitandloss: number,
 *   totalpnlpercentage: number }} HoldingStats
 * @typedef {{ availablecash: number, utiliseddebits: number, m2munrealized: number,
 *   today_realized_pnl: number, total_realized_pnl: number, totalpnl: number,
 *   grossexposure: number, collateral: number }} Funds
 * @typedef {{ action: string, quantity: number, price: number, pricetype: string,
 *   product: string, trigger_price: number, direction: 'below' | 'above' }} GttLeg
 * @typedef {{ trigger_id: string, trigger_type: string, status: string, symbol: string,
 *   exchange: string, last_price: number, legs: GttLeg[], strategy: string,
 *   created_at: string, expires_at: string }} GttRow
 * @typedef {{
 *   funds: { data: Funds },
 *   orders: { data: { orders: Order[], statistics: OrderStats } },
 *   trades: { data: Trade[] },
 *   positions: { data: Position[], total_pnl: number, total_unrealized_pnl: number,
 *     total_today_realized_pnl: number },
 *   holdings: { data: { holdings: Holding[], statistics: HoldingStats } },
 *   gtt: { data: GttRow[] },
 * }} Books
 * @typedef {keyof Books} Tab
 */

/** @type {Tab[]} */
const TABS = ['funds', 'orders', 'trades', 'positions', 'holdings', 'gtt'];
const REFRESH_MS = 5000;
const money = new Intl.NumberFormat('en-IN', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
/** @param {number | string | null | undefined} n */
const fmt = (n) => (typeof n === 'number' ? money.format(n) : String(n ?? ''));
/** @param {number} n */
const sign = (n) => (n > 0 ? 'pos' : n < 0 ? 'neg' : '');
/** @type {Tab} */
let current = 'orders';
let loading = false;
let again = false;

/** @param {number} n */
function pnlCell(n) {
  return cell(fmt(n), `num ${sign(n)}`);
}

/** @type {{ [T in Tab]: (body: Books[T]) => void }} */
const RENDER = {
  funds(body) {
    const d = body.data;
    /** @type {Array<[string, number]>} */
    const items = [
      ['Available cash', d.availablecash], ['Used margin', d.utiliseddebits],
      ['Unrealized P&L', d.m2munrealized], ['Realized P&L (today)', d.today_realized_pnl],
      ['Realized P&L (total)', d.total_realized_pnl], ['Total P&L', d.totalpnl],
      ['Gross exposure', d.grossexposure], ['Collateral', d.collateral],
    ];
    fillDefinitions('funds-stats', items.map(([k, v]) => [k, fmt(v), { 'data-field': k, class: /P&L/.test(k) ? sign(v) : undefined }]));
  },
  orders(body) {
    const { orders, statistics: s } = body.data;
    $('orders-stats').textContent = `${orders.length} orders · ${s.total_open_orders} open · ${s.total_trigger_pending_orders} trigger pending · ${s.total_completed_orders} complete · ${s.total_rejected_orders} rejected`;
    fillTable('orders-table', orders.map((o) => {
      const tr = el('tr', { 'data-orderid': o.orderid });
      const status = cell(o.order_status, `status status-${o.order_status.replace(' ', '-')}`);
      if (o.rejection_reason) status.title = o.rejection_reason;
      const actions = el('td', 'actions');
      if (o.order_status === 'open' || o.order_status === 'trigger pending') {
        actions.append(
          rowButton('Modify', 'btn-ghost modify', () => openModify(o)),
          rowButton('Cancel', 'btn-danger cancel', () => cancelOrder(o)),
        );
      }
      tr.append(cell(o.timestamp), cell(o.orderid, 'mono'), cell(`${o.symbol} · ${o.exchange}`),
        cell(o.action, o.action === 'BUY' ? 'pos' : 'neg'), cell(o.quantity, 'num'), cell(fmt(o.price), 'num'),
        cell(fmt(o.trigger_price), 'num'), cell(o.pricetype), cell(o.product), status,
        cell(fmt(o.average_price), 'num'), cell(o.strategy), actions);
      return tr;
    }), 'orders-empty');
  },
  trades(body) {
    fillTable('trades-table', body.data.map((t) => {
      const tr = el('tr');
      tr.append(cell(t.timestamp), cell(t.tradeid, 'mono'), cell(t.orderid, 'mono'),
        cell(`${t.symbol} · ${t.exchange}`), cell(t.action, t.action === 'BUY' ? 'pos' : 'neg'),
        cell(t.quantity, 'num'), cell(fmt(t.average_price), 'num'), cell(fmt(t.trade_value), 'num'),
        cell(t.product), cell(t.strategy));
      return tr;
    }), 'trades-empty');
  },
  positions(body) {
    $('positions-totals').textContent = `Total P&L ${fmt(body.total_pnl)} · unrealized ${fmt(body.total_unrealized_pnl)} · realized today ${fmt(body.total_today_realized_pnl)}`;
    $('close-all', HTMLButtonElement).disabled = !body.data.some((p) => p.quantity !== 0);
    fillTable('positions-table', body.data.map((p) => {
      const tr = el('tr', { 'data-symbol': p.symbol });
      const actions = el('td', 'actions');
      if (p.quantity !== 0) actions.append(rowButton('Close', 'btn-danger close', () => closePosition(p)));
      tr.append(cell(p.symbol), cell(p.exchange), cell(p.product), cell(p.quantity, 'num qty'),
        cell(fmt(p.average_price), 'num'), cell(fmt(p.ltp), 'num'), pnlCell(p.pnl),
        pnlCell(p.today_realized_pnl), actions);
      return tr;
    }), 'positions-empty');
  },
  holdings(body) {
    const { holdings, statistics: s } = body.data;
    $('holdings-stats').textContent = `Value ${fmt(s.totalholdingvalue)} · invested ${fmt(s.totalinvvalue)} · P&L ${fmt(s.totalprofitandloss)} (${fmt(s.totalpnlpercentage)}%)`;
    fillTable('holdings-table', holdings.map((h) => {
      const tr = el('tr');
      tr.append(cell(h.symbol), cell(h.exchange), cell(h.quantity, 'num'), cell(fmt(h.average_price), 'num'),
        cell(fmt(h.ltp), 'num'), cell(fmt(h.current_value), 'num'), pnlCell(h.pnl), pnlCell(h.pnlpercent),
        cell(h.settlement_date));
      return tr;
    }), 'holdings-empty');
  },
  gtt(body) {
    fillTable('gtt-table', body.data.map((g) => {
      const tr = el('tr', { 'data-trigger-id': g.trigger_id });
      const first = g.legs[0];
      const oco = g.trigger_type === 'two-leg';
      const triggers = g.legs.map((l) => `${l.direction === 'below' ? '≤' : '≥'} ${fmt(l.trigger_price)} → ${l.pricetype === 'MARKET' ? 'market' : fmt(l.price)}`).join(' · ');
      const actions = el('td', 'actions');
      actions.append(
        rowButton('Modify', 'btn-ghost modify', () => openGttModify(g)),
        rowButton('Cancel', 'btn-danger cancel', () => cancelGtt(g)),
      );
      tr.append(cell(g.created_at), cell(g.trigger_id, 'mono'), cell(`${g.symbol} · ${g.exchange}`),
        cell(first?.action ?? '', first?.action === 'BUY' ? 'pos' : 'neg'), cell(oco ? 'OCO' : 'Single'),
        cell(first?.quantity ?? '', 'num qty'), cell(triggers, 'triggers'),
        cell(first ? `${first.pricetype} ${first.product}` : ''), cell(fmt(g.last_price), 'num'),
        cell(g.expires_at), cell(g.strategy), actions);
      return tr;
    }), 'gtt-empty');
  },
};

/**
 * Shows a tab's book.
 * @template {Tab} T
 * @param {T} tab
 * @param {unknown} body the book as the server sent it
 */
function render(tab, body) {
  RENDER[tab](/** @type {Books[T]} */ (body));
}

/** Reloads the visible tab; calls arriving meanwhile coalesce into one more reload. */
async function refresh() {
  if (loading) { again = true; return; }
  loading = true;
  try {
    do {
      again = false;
      const tab = current;
      const body = await getJson(`/account/api/${tab}`);
      if (tab === current) render(tab, body);
    } while (again);
  } catch (e) {
    toast(errorMessage(e), 'error');
  } finally {
    loading = false;
  }
}

/** @param {string} tab */
function show(tab) {
  current = TABS.find((t) => t === tab) || 'orders';
  for (const t of TABS) {
    const on = t === current;
    $(`tab-${t}`).setAttribute('aria-selected', String(on));
    $(`panel-${t}`).hidden = !on;
  }
  if (location.hash !== `#${current}`) history.replaceState(null, '', `#${current}`);
  refresh();
}

/**
 * @param {string} url
 * @param {object} body
 * @param {string} okMessage the toast when the answer has no message
 */
async function act(url, body, okMessage) {
  try {
    /** @type {Outcome} */
    const r = await postJson(url, body);
    toast(r.message || okMessage, 'success');
  } catch (e) {
    toast(errorMessage(e), 'error');
  }
  refresh();
}

/** @param {Order} o */
async function cancelOrder(o) {
  const ok = await confirmDialog({
    title: 'Cancel order?', body: `${o.action} ${o.quantity} ${o.symbol} @ ${fmt(o.price)} (${o.orderid})`,
    confirmLabel: 'Cancel order',
  });
  if (ok) act(`/account/api/cancel/${encodeURIComponent(o.orderid)}`, {}, 'Order cancelled');
}

/** @param {Position} p */
async function closePosition(p) {
  const ok = await confirmDialog({
    title: 'Close position?', body: `${p.quantity > 0 ? 'SELL' : 'BUY'} ${Math.abs(p.quantity)} ${p.symbol} (${p.product}) at market`,
    confirmLabel: 'Close position',
  });
  if (ok) act('/account/api/close', { symbol: p.symbol, exchange: p.exchange, product: p.product }, 'Position closed');
}

$('close-all').addEventListener('click', async () => {
  const ok = await confirmDialog({ title: 'Close all positions?', body: 'Every open position is closed at market.', confirmLabel: 'Close all' });
  if (ok) act('/account/api/close', { all: true }, 'Positions closed');
});

/** @type {Order | null} */
let modifying = null;
/** @param {Order} o */
function openModify(o) {
  modifying = o;
  $('modify-id').textContent = o.orderid;
  $('modify-quantity', HTMLInputElement).value = String(o.quantity);
  $('modify-price', HTMLInputElement).value = String(o.price);
  $('modify-trigger', HTMLInputElement).value = String(o.trigger_price);
  $('modify-error').textContent = '';
  $('modify-dialog', HTMLDialogElement).showModal();
}

$('modify-form').addEventListener('submit', async (ev) => {
  const { submitter } = /** @type {SubmitEvent} */ (ev);
  if (submitter instanceof HTMLButtonElement && submitter.value !== 'save') return;
  ev.preventDefault();
  const o = modifying;
  if (!o) return;
  /** @type {Record<string, number>} */
  const body = {};
  /** @type {Array<[string, string]>} */
  const fields = [['quantity', 'modify-quantity'], ['price', 'modify-price'], ['trigger_price', 'modify-trigger']];
  for (const [k, id] of fields) {
    const v = $(id, HTMLInputElement).value.trim();
    if (v !== '') body[k] = Number(v);
  }
  try {
    /** @type {Outcome} */
    const r = await postJson(`/account/api/modify/${encodeURIComponent(o.orderid)}`, body);
    $('modify-dialog', HTMLDialogElement).close();
    toast(r.message ?? '', 'success');
    refresh();
  } catch (e) {
    $('modify-error').textContent = errorMessage(e);
  }
});

/** @param {GttRow} g */
async function cancelGtt(g) {
  const first = g.legs[0];
  const ok = await confirmDialog({
    title: 'Cancel GTT?', body: `${first?.action ?? ''} ${first?.quantity ?? ''} ${g.symbol} (${g.trigger_id})${g.legs.length > 1 ? ': both legs' : ''}`,
    confirmLabel: 'Cancel GTT',
  });
  if (ok) act(`/account/api/gtt/cancel/${encodeURIComponent(g.trigger_id)}`, {}, 'GTT cancelled');
}

/** @type {GttRow | null} */
let modifyingGtt = null;
/** @param {GttRow} g */
function openGttModify(g) {
  modifyingGtt = g;
  const first = g.legs[0];
  $('gtt-id').textContent = g.trigger_id;
  $('gtt-what').textContent = `${first?.action ?? ''} ${g.symbol} · ${g.exchange}, ${first?.pricetype ?? ''} ${first?.product ?? ''}`;
  $('gtt-quantity', HTMLInputElement).value = String(first?.quantity ?? '');
  const oco = g.legs.length > 1;
  $('gtt-legs').replaceChildren(...g.legs.map((l, i) => {
    const name = oco ? (l.direction === 'below' ? 'Stoploss' : 'Target') : 'Trigger';
    const row = el('div', 'form-row');
    row.append(
      el('label', '', `${name} trigger (${l.direction === 'below' ? 'price falls to' : 'price rises to'})`,
        el('input', { id: `gtt-trigger-${i}`, type: 'number', min: '0', step: 'any', required: true, value: String(l.trigger_price) })),
      el('label', '', l.pricetype === 'MARKET' ? 'Order price (market)' : 'Order limit price',
        el('input', { id: `gtt-price-${i}`, type: 'number', min: '0', step: 'any', value: String(l.price), disabled: l.pricetype === 'MARKET' })),
    );
    return row;
  }));
  $('gtt-error').textContent = '';
  $('gtt-dialog', HTMLDialogElement).showModal();
}

$('gtt-form').addEventListener('submit', async (ev) => {
  const { submitter } = /** @type {SubmitEvent} */ (ev);
  if (submitter instanceof HTMLButtonElement && submitter.value !== 'save') return;
  ev.preventDefault();
  const g = modifyingGtt;
  if (!g) return;
  /** @param {string} id */
  const num = (id) => {
    const v = $(id, HTMLInputElement).value.trim();
    return v === '' ? undefined : Number(v);
  };
  const body = {
    quantity: num('gtt-quantity'),
    legs: g.legs.map((l, i) => ({
      trigger_price: num(`gtt-trigger-${i}`),
      price: l.pricetype === 'MARKET' ? undefined : num(`gtt-price-${i}`),
    })),
  };
  try {
    await postJson(`/account/api/gtt/modify/${encodeURIComponent(g.trigger_id)}`, body);
    $('gtt-dialog', HTMLDialogElement).close();
    toast('GTT modified', 'success');
    refresh();
  } catch (e) {
    $('gtt-error').textContent = errorMessage(e);
  }
});

function live() {
  const badge = $('live');
  /**
   * @param {string} state
   * @param {string} text
   */
  const set = (state, text) => { badge.dataset.state = state; badge.textContent = text; };
  const es = new EventSource('/account/api/events');
  es.addEventListener('open', () => set('live', 'live'));
  es.addEventListener('order_update', (ev) => {
    try {
      /** @type {{ order_status: string, action: string, quantity: number, symbol: string, average_price: number }} */
      const u = JSON.parse(ev.data);
      if (u.order_status === 'complete') toast(`${u.action} ${u.quantity} ${u.symbol} filled @ ${fmt(u.average_price)}`, 'success');
    } catch { /* malformed event: the reload below still runs */ }
    refresh();
  });
  es.addEventListener('resync', () => refresh());
  es.addEventListener('error', async () => {
    set('offline', 'reconnecting…');
    // A closed stream may mean the session ended: this request sends us to log in.
    if (es.readyState === EventSource.CLOSED) {
      try { await getJson('/auth/me'); setTimeout(live, 3000); } catch { /* redirected */ }
    }
  });
}

async function init() {
  initShell();
  for (const t of TABS) $(`tab-${t}`).addEventListener('click', () => show(t));
  window.addEventListener('hashchange', () => show(location.hash.slice(1)));
  show(location.hash.slice(1));
  live();
  setInterval(() => { if (!document.hidden) refresh(); }, REFRESH_MS);
}

init();
