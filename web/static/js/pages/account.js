// The paper account: funds, orders (cancel, modify), trades, positions (close), holdings.
// Books come from the session routes /account/api/*; an EventSource on
// /account/api/events reloads them when one of the user's orders changes, and a timer
// refreshes prices and P&L.
import { initShell } from '../app.js';
import { confirmDialog, toast } from '../ui.js';
import { getJson, postJson } from '../api.js';

const $ = (id) => document.getElementById(id);
const TABS = ['funds', 'orders', 'trades', 'positions', 'holdings'];
const REFRESH_MS = 5000;
const money = new Intl.NumberFormat('en-IN', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const fmt = (n) => (typeof n === 'number' ? money.format(n) : String(n ?? ''));
let current = 'orders';
let loading = false;
let again = false;

function cell(text, cls) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

function pnlCell(n) {
  return cell(fmt(n), `num ${n > 0 ? 'pos' : n < 0 ? 'neg' : ''}`);
}

function button(label, cls, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = `btn btn-small ${cls}`;
  b.textContent = label;
  b.addEventListener('click', onClick);
  return b;
}

function fill(table, rows, emptyId) {
  const body = $(table).querySelector('tbody');
  body.replaceChildren(...rows);
  $(emptyId).hidden = rows.length > 0;
  $(table).hidden = rows.length === 0;
}

const RENDER = {
  funds(body) {
    const d = body.data;
    const items = [
      ['Available cash', d.availablecash], ['Used margin', d.utiliseddebits],
      ['Unrealized P&L', d.m2munrealized], ['Realized P&L (today)', d.today_realized_pnl],
      ['Realized P&L (total)', d.total_realized_pnl], ['Total P&L', d.totalpnl],
      ['Gross exposure', d.grossexposure], ['Collateral', d.collateral],
    ];
    $('funds-stats').replaceChildren(...items.flatMap(([k, v]) => {
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = fmt(v);
      dd.dataset.field = k;
      if (/P&L/.test(k)) dd.className = v > 0 ? 'pos' : v < 0 ? 'neg' : '';
      return [dt, dd];
    }));
  },
  orders(body) {
    const { orders, statistics: s } = body.data;
    $('orders-stats').textContent = `${orders.length} orders · ${s.total_open_orders} open · ${s.total_trigger_pending_orders} trigger pending · ${s.total_completed_orders} complete · ${s.total_rejected_orders} rejected`;
    fill('orders-table', orders.map((o) => {
      const tr = document.createElement('tr');
      tr.dataset.orderid = o.orderid;
      const status = cell(o.order_status, `status status-${o.order_status.replace(' ', '-')}`);
      if (o.rejection_reason) status.title = o.rejection_reason;
      const actions = document.createElement('td');
      actions.className = 'actions';
      if (o.order_status === 'open' || o.order_status === 'trigger pending') {
        actions.append(
          button('Modify', 'btn-ghost modify', () => openModify(o)),
          button('Cancel', 'btn-danger cancel', () => cancelOrder(o)),
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
    fill('trades-table', body.data.map((t) => {
      const tr = document.createElement('tr');
      tr.append(cell(t.timestamp), cell(t.tradeid, 'mono'), cell(t.orderid, 'mono'),
        cell(`${t.symbol} · ${t.exchange}`), cell(t.action, t.action === 'BUY' ? 'pos' : 'neg'),
        cell(t.quantity, 'num'), cell(fmt(t.average_price), 'num'), cell(fmt(t.trade_value), 'num'),
        cell(t.product), cell(t.strategy));
      return tr;
    }), 'trades-empty');
  },
  positions(body) {
    $('positions-totals').textContent = `Total P&L ${fmt(body.total_pnl)} · unrealized ${fmt(body.total_unrealized_pnl)} · realized today ${fmt(body.total_today_realized_pnl)}`;
    $('close-all').disabled = !body.data.some((p) => p.quantity !== 0);
    fill('positions-table', body.data.map((p) => {
      const tr = document.createElement('tr');
      tr.dataset.symbol = p.symbol;
      const actions = document.createElement('td');
      actions.className = 'actions';
      if (p.quantity !== 0) actions.append(button('Close', 'btn-danger close', () => closePosition(p)));
      tr.append(cell(p.symbol), cell(p.exchange), cell(p.product), cell(p.quantity, 'num qty'),
        cell(fmt(p.average_price), 'num'), cell(fmt(p.ltp), 'num'), pnlCell(p.pnl),
        pnlCell(p.today_realized_pnl), actions);
      return tr;
    }), 'positions-empty');
  },
  holdings(body) {
    const { holdings, statistics: s } = body.data;
    $('holdings-stats').textContent = `Value ${fmt(s.totalholdingvalue)} · invested ${fmt(s.totalinvvalue)} · P&L ${fmt(s.totalprofitandloss)} (${fmt(s.totalpnlpercentage)}%)`;
    fill('holdings-table', holdings.map((h) => {
      const tr = document.createElement('tr');
      tr.append(cell(h.symbol), cell(h.exchange), cell(h.quantity, 'num'), cell(fmt(h.average_price), 'num'),
        cell(fmt(h.ltp), 'num'), cell(fmt(h.current_value), 'num'), pnlCell(h.pnl), pnlCell(h.pnlpercent),
        cell(h.settlement_date));
      return tr;
    }), 'holdings-empty');
  },
};

/** Reloads the visible tab; calls arriving meanwhile coalesce into one more reload. */
async function refresh() {
  if (loading) { again = true; return; }
  loading = true;
  try {
    do {
      again = false;
      const tab = current;
      const body = await getJson(`/account/api/${tab}`);
      if (tab === current) RENDER[tab](body);
    } while (again);
  } catch (e) {
    toast(e.message, 'error');
  } finally {
    loading = false;
  }
}

function show(tab) {
  current = TABS.includes(tab) ? tab : 'orders';
  for (const t of TABS) {
    const on = t === current;
    $(`tab-${t}`).setAttribute('aria-selected', String(on));
    $(`panel-${t}`).hidden = !on;
  }
  if (location.hash !== `#${current}`) history.replaceState(null, '', `#${current}`);
  refresh();
}

async function act(url, body, okMessage) {
  try {
    const r = await postJson(url, body);
    toast(r.message || okMessage, 'success');
  } catch (e) {
    toast(e.message, 'error');
  }
  refresh();
}

async function cancelOrder(o) {
  const ok = await confirmDialog({
    title: 'Cancel order?', body: `${o.action} ${o.quantity} ${o.symbol} @ ${fmt(o.price)} (${o.orderid})`,
    confirmLabel: 'Cancel order',
  });
  if (ok) act(`/account/api/cancel/${encodeURIComponent(o.orderid)}`, {}, 'Order cancelled');
}

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

let modifying = null;
function openModify(o) {
  modifying = o;
  $('modify-id').textContent = o.orderid;
  $('modify-quantity').value = o.quantity;
  $('modify-price').value = o.price;
  $('modify-trigger').value = o.trigger_price;
  $('modify-error').textContent = '';
  $('modify-dialog').showModal();
}

$('modify-form').addEventListener('submit', async (ev) => {
  if (ev.submitter && ev.submitter.value !== 'save') return;
  ev.preventDefault();
  const body = {};
  for (const [k, id] of [['quantity', 'modify-quantity'], ['price', 'modify-price'], ['trigger_price', 'modify-trigger']]) {
    const v = $(id).value.trim();
    if (v !== '') body[k] = Number(v);
  }
  try {
    const r = await postJson(`/account/api/modify/${encodeURIComponent(modifying.orderid)}`, body);
    $('modify-dialog').close();
    toast(r.message, 'success');
    refresh();
  } catch (e) {
    $('modify-error').textContent = e.message;
  }
});

function live() {
  const badge = $('live');
  const set = (state, text) => { badge.dataset.state = state; badge.textContent = text; };
  const es = new EventSource('/account/api/events');
  es.addEventListener('open', () => set('live', 'live'));
  es.addEventListener('order_update', (ev) => {
    try {
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
