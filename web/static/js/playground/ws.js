// @ts-check
// The WebSocket tester (reference/openalgo-ws-sdk-ui.md §3.4-3.5): connects to /ws on the
// page's own host, authenticates with the key fetched over the session, pings with
// latency, reconnects, templates from our collection's websocket entries, a composer and
// a log of up to 1,000 messages. Keys are redacted in the log and in exports.
import { errorMessage, getJson } from '../api.js';
import { toast } from '../ui.js';
import { $, el, pretty, setText, showMessage } from '../dom.js';
import { apiKey, renderJson } from './common.js';

/** @import { Endpoint } from './common.js' */

/**
 * A line of the log: `data` as sent or received (parsed JSON, else the text), `raw` its text.
 * @typedef {{ id: number, direction: string, at: Date, data: unknown, raw: string }} Message
 */
/** @typedef {'disconnected' | 'connecting' | 'connected' | 'authenticated'} WsState */

const MAX_LOG = 1000;
const RECONNECT_MS = 3000;
/** @type {Record<WsState, string>} */
const LABELS = {
  disconnected: 'Disconnected', connecting: 'Connecting...', connected: 'Connected', authenticated: 'Authenticated',
};

/**
 * A copy of a message object with its keys shown as asterisks.
 * @param {unknown} v
 */
function redactKeys(v) {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return v;
  /** @type {Record<string, unknown>} */
  const out = { ...v };
  for (const k of ['api_key', 'apikey']) if (typeof out[k] === 'string' && out[k]) out[k] = '********';
  return out;
}

/** @param {Record<string, unknown>} body */
function groupOf(body) {
  const a = String(body.action || '');
  if (a === 'authenticate') return 'Authentication';
  if (a === 'subscribe_orders' || a === 'unsubscribe_orders') return 'Order Updates';
  if (a.startsWith('unsubscribe')) return 'Unsubscribe';
  if (a === 'subscribe') return Number(body.mode) === 3 ? 'Market Depth' : 'Subscriptions';
  return 'Broker Info';
}

/**
 * The endpoint's message as a template: the blank key becomes {{API_KEY}}.
 * @param {Record<string, unknown>} body
 */
function templateText(body) {
  const t = { ...body };
  for (const k of ['api_key', 'apikey']) if (k in t && !t[k]) t[k] = '{{API_KEY}}';
  return pretty(t).replace(/"\{\{timestamp\}\}"/gi, '"{{TIMESTAMP}}"');
}

/**
 * Wires the WebSocket panel.
 * @param {{ endpoints: Endpoint[] }} catalog the collection's websocket entries
 */
export function initWs({ endpoints }) {
  /**
   * @type {{ socket: WebSocket | null, state: WsState, userClosed: boolean,
   *   reconnectTimer: ReturnType<typeof setTimeout> | undefined, log: Message[], nextId: number,
   *   latencies: number[], pings: Map<string, number>, expanded: Set<number>,
   *   renderQueued: boolean, url: string }}
   */
  const s = {
    socket: null, state: 'disconnected', userClosed: false, reconnectTimer: undefined, log: [],
    nextId: 1, latencies: [], pings: new Map(), expanded: new Set(), renderQueued: false, url: '',
  };
  const composer = $('ws-message', HTMLTextAreaElement);
  const auto = $('ws-auto', HTMLInputElement);

  // Templates, grouped.
  const picker = $('ws-template', HTMLSelectElement);
  /** @type {Map<string, Array<[number, Endpoint]>>} */
  const groups = new Map();
  endpoints.forEach((ep, i) => {
    const g = groupOf(ep.body || {});
    const list = groups.get(g) || [];
    groups.set(g, list);
    list.push([i, ep]);
  });
  for (const g of ['Authentication', 'Subscriptions', 'Market Depth', 'Order Updates', 'Unsubscribe', 'Broker Info']) {
    const list = groups.get(g);
    if (!list) continue;
    const og = el('optgroup', { label: g });
    for (const [i, ep] of list) {
      const o = el('option', '', ep.name);
      o.value = String(i);
      if (ep.description) o.title = ep.description;
      og.append(o);
    }
    picker.append(og);
  }

  /** @param {string} text the composer's text, its placeholders filled in */
  async function fill(text) {
    const key = await apiKey();
    return text.replaceAll('{{API_KEY}}', key).replace(/"\{\{TIMESTAMP\}\}"/gi, String(Date.now()));
  }

  /** @param {WsState} st */
  function setState(st) {
    s.state = st;
    const badge = $('ws-status');
    badge.dataset.state = st;
    badge.textContent = LABELS[st];
    const authed = st === 'authenticated';
    $('ws-connect').textContent = st === 'disconnected' ? 'Connect' : 'Disconnect';
    $('ws-ping').hidden = !authed;
    $('ws-latency').hidden = !authed && !s.latencies.length;
    picker.disabled = !authed;
    composer.readOnly = !authed;
    $('ws-send', HTMLButtonElement).disabled = !authed;
    auto.disabled = st !== 'disconnected';
  }

  /** @param {string} msg shown, or '' to hide the error */
  function showError(msg) {
    showMessage($('ws-error'), msg);
  }

  /**
   * @param {string} direction SENT, RECEIVED, SYSTEM or ERROR
   * @param {unknown} data
   */
  function add(direction, data) {
    const raw = typeof data === 'string' ? data : JSON.stringify(data);
    s.log.unshift({ id: s.nextId++, direction, at: new Date(), data, raw });
    if (s.log.length > MAX_LOG) s.log.length = MAX_LOG;
    if (!s.renderQueued) {
      s.renderQueued = true;
      requestAnimationFrame(() => { s.renderQueued = false; renderLog(); });
    }
  }

  /** @param {Date} d */
  function time(d) {
    /**
     * @param {number} n
     * @param {number} [w]
     */
    const p = (n, w = 2) => String(n).padStart(w, '0');
    return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
  }

  function renderLog() {
    const q = $('ws-filter', HTMLInputElement).value.trim().toLowerCase();
    const shown = q ? s.log.filter((m) => m.raw.toLowerCase().includes(q)) : s.log;
    setText('ws-count', s.log.length);
    const ol = $('ws-log');
    ol.replaceChildren();
    for (const m of shown) {
      const li = el('li', { 'data-direction': m.direction },
        el('span', `pg-dir ${m.direction}`, m.direction), el('span', 'pg-ts', time(m.at)));
      if (s.expanded.has(m.id)) {
        const pre = el('pre', 'pre');
        renderJson(pre, typeof m.data === 'string' ? m.data : pretty(m.data));
        li.append(pre);
      } else {
        li.append(m.raw.length > 100 ? `${m.raw.slice(0, 100)}…` : m.raw);
      }
      li.addEventListener('click', () => {
        if (s.expanded.has(m.id)) s.expanded.delete(m.id); else s.expanded.add(m.id);
        renderLog();
      });
      ol.append(li);
    }
  }

  /** @param {number} ms */
  function latencyClass(ms) { return ms < 100 ? 'lat-good' : ms < 300 ? 'lat-mid' : 'lat-bad'; }

  /** @param {number} ms */
  function recordLatency(ms) {
    s.latencies.push(ms);
    if (s.latencies.length > 100) s.latencies.shift();
    const avg = Math.round(s.latencies.reduce((a, b) => a + b, 0) / s.latencies.length);
    setText('ws-last', ms);
    $('ws-last').className = latencyClass(ms);
    setText('ws-avg', avg);
    $('ws-avg').className = latencyClass(avg);
    $('ws-latency').hidden = false;
  }

  /** @param {unknown} obj a message, sent as JSON */
  function sendJson(obj) {
    if (!s.socket || s.socket.readyState !== WebSocket.OPEN) return false;
    s.socket.send(JSON.stringify(obj));
    add('SENT', redactKeys(obj));
    return true;
  }

  async function connect() {
    clearTimeout(s.reconnectTimer);
    showError('');
    s.userClosed = false;
    setState('connecting');
    try {
      /** @type {{ websocket_url?: string }} */
      const cfg = await getJson('/playground/websocket');
      s.url = cfg.websocket_url || `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
    } catch (e) {
      setState('disconnected');
      showError(`Cannot get the WebSocket URL: ${errorMessage(e)}`);
      return;
    }
    $('ws-url').textContent = s.url;
    const sock = new WebSocket(s.url);
    s.socket = sock;
    sock.addEventListener('open', async () => {
      setState('connected');
      add('SYSTEM', 'Connected to WebSocket server');
      const key = await apiKey();
      if (!key) { showError('No API key found - please generate one at /apikey'); return; }
      sendJson({ action: 'authenticate', api_key: key });
    });
    sock.addEventListener('message', (ev) => {
      /**
       * A server message; the fields read here, when it has them.
       * @type {{ type?: string, status?: string, message?: string, code?: string, _pingId?: string } | null}
       */
      let data;
      try { data = JSON.parse(ev.data); } catch { add('RECEIVED', String(ev.data)); return; }
      const sentAt = data && data.type === 'pong' && data._pingId ? s.pings.get(data._pingId) : undefined;
      if (data && data._pingId && sentAt !== undefined) {
        const ms = Math.round(performance.now() - sentAt);
        s.pings.delete(data._pingId);
        recordLatency(ms);
        add('RECEIVED', data);
        add('SYSTEM', `Pong received (${ms} ms)`);
        return;
      }
      if (data && data.type === 'auth') {
        if (data.status === 'success') {
          setState('authenticated');
          add('RECEIVED', data);
          add('SYSTEM', 'Authentication successful');
        } else {
          add('ERROR', data);
          showError(`Authentication failed: ${data.message || 'unknown error'}`);
        }
        return;
      }
      if (data && (data.type || data.status) === 'error') {
        add('ERROR', data);
        showError(`WebSocket error: ${data.message || JSON.stringify(data)}`);
        if (data.code === 'AUTHENTICATION_ERROR' && s.state === 'connected') {
          showError(`Authentication failed: ${data.message || 'invalid API key'}`);
        }
        return;
      }
      add('RECEIVED', data);
    });
    sock.addEventListener('error', () => showError('WebSocket connection error'));
    sock.addEventListener('close', (ev) => {
      if (s.socket !== sock) return;
      s.socket = null;
      setState('disconnected');
      if (s.userClosed) {
        add('SYSTEM', 'Disconnected by user');
        return;
      }
      add('SYSTEM', ev.code === 1000 ? `Connection closed: ${ev.code}` : `Connection closed unexpectedly: ${ev.code}${ev.reason ? ` ${ev.reason}` : ''}`);
      if (auto.checked) {
        add('SYSTEM', `Reconnecting in ${RECONNECT_MS / 1000} s`);
        s.reconnectTimer = setTimeout(connect, RECONNECT_MS);
      }
    });
  }

  function disconnect() {
    s.userClosed = true;
    clearTimeout(s.reconnectTimer);
    if (s.socket) s.socket.close(1000, 'User disconnect');
    else setState('disconnected');
  }

  async function sendComposer() {
    if (s.state !== 'authenticated') return;
    /** @type {unknown} */
    let obj;
    try { obj = JSON.parse(await fill(composer.value)); } catch {
      showError('Invalid JSON - message not sent');
      return;
    }
    showError('');
    if (sendJson(obj)) toast('Message sent', 'success');
  }

  $('ws-connect').addEventListener('click', () => (s.state === 'disconnected' ? connect() : disconnect()));
  $('ws-ping').addEventListener('click', () => {
    const id = `ping-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
    s.pings.set(id, performance.now());
    sendJson({ _pingId: id, action: 'ping', timestamp: Date.now() });
  });
  picker.addEventListener('change', () => {
    const ep = endpoints[Number(picker.value)];
    if (ep) composer.value = templateText(ep.body || {});
  });
  $('ws-clear-msg').addEventListener('click', () => { composer.value = ''; picker.value = ''; });
  $('ws-send').addEventListener('click', sendComposer);
  composer.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); sendComposer(); }
  });
  $('ws-filter').addEventListener('input', renderLog);
  $('ws-log-clear').addEventListener('click', () => {
    s.log = [];
    s.expanded.clear();
    s.latencies = [];
    $('ws-last').textContent = '–';
    $('ws-avg').textContent = '–';
    renderLog();
  });
  $('ws-export').addEventListener('click', () => {
    const doc = {
      exportedAt: new Date().toISOString(),
      totalMessages: s.log.length,
      messages: s.log.map((m) => ({ id: m.id, direction: m.direction, timestamp: m.at.toISOString(), data: m.data, rawData: m.raw })),
    };
    const a = el('a', {
      href: URL.createObjectURL(new Blob([pretty(doc)], { type: 'application/json' })),
      download: `websocket-messages-${Date.now()}.json`,
    });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  });
  setState('disconnected');
  $('ws-url').textContent = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;

  return {
    /**
     * From the sidebar: the endpoint's message in the composer (key filled in on send).
     * @param {Endpoint} ep
     */
    preload(ep) {
      composer.value = templateText(ep.body || {});
      const i = endpoints.indexOf(ep);
      picker.value = i >= 0 ? String(i) : '';
    },
  };
}
