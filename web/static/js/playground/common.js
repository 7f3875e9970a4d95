// @ts-check
// Shared pieces of the playground: JSON highlighting into the DOM (never innerHTML),
// sizes, and the session user's key (fetched, never in the HTML).
import { getJson } from '../api.js';
import { el } from '../dom.js';

/**
 * An entry of `/playground/endpoints` (our Bruno collection, by category): `body` for
 * POST and WebSocket messages, `params` for GET.
 * @typedef {{ name: string, method: string, path: string, body?: Record<string, unknown>,
 *   params?: Record<string, unknown>, description?: string }} Endpoint
 */

const TOKEN = /("(?:\\.|[^"\\])*")(\s*:)?|\b(true|false|null)\b|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;
const PLAIN_LIMIT = 100 * 1024;

/**
 * Appends `line` to `into`, its JSON tokens in spans classed by kind.
 * @param {string} line
 * @param {HTMLElement} into
 */
function highlightLine(line, into) {
  let last = 0;
  for (const m of line.matchAll(TOKEN)) {
    if (m.index > last) into.append(line.slice(last, m.index));
    let cls = 'j-num';
    if (m[1] !== undefined) cls = m[2] !== undefined ? 'j-key' : 'j-str';
    else if (m[3] !== undefined) cls = 'j-lit';
    if (m[1] !== undefined && m[2] !== undefined) {
      into.append(el('span', cls, m[1]), m[2]);
    } else {
      into.append(el('span', cls, m[0]));
    }
    last = m.index + m[0].length;
  }
  if (last < line.length) into.append(line.slice(last));
}

/**
 * Replaces `pre`'s content with numbered, highlighted lines (plain above 100 KB).
 * @param {HTMLElement} pre
 * @param {string} text
 */
export function renderJson(pre, text) {
  pre.replaceChildren();
  const plain = text.length > PLAIN_LIMIT;
  for (const line of text.split('\n')) {
    const ln = el('span', 'ln');
    if (plain) ln.textContent = line; else highlightLine(line, ln);
    ln.append('\n');
    pre.append(ln);
  }
}

/** @param {number} bytes */
export function formatSize(bytes) {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KB`;
}

const KEY_CHOICE = 'algogate-playground-key';
/** @type {Promise<string> | null} */
let keyPromise = null;

/** Which of the user's keys the playground fills in: '' the primary key, else a named key. */
export function keyChoice() {
  try { return sessionStorage.getItem(KEY_CHOICE) || ''; } catch { return ''; }
}

/**
 * Picks the key the playground fills in ('' for the primary key); the next
 * {@link apiKey} fetches it.
 * @param {string} name
 */
export function chooseKey(name) {
  try {
    if (name) sessionStorage.setItem(KEY_CHOICE, name);
    else sessionStorage.removeItem(KEY_CHOICE);
  } catch { /* storage blocked: the choice lasts until reload */ }
  chosen = name;
  keyPromise = null;
}

let chosen = keyChoice();

/**
 * The chosen key of the session user ('' when none), fetched once per choice over the
 * session: the primary key from /playground/api-key, a named one from its API Key page
 * route. A named key that is gone falls back to the primary key.
 */
export function apiKey() {
  if (!keyPromise) {
    const primary = () => /** @type {Promise<{ api_key?: string | null }>} */ (getJson('/playground/api-key'));
    const name = chosen;
    /** @type {Promise<{ api_key?: string | null }>} */
    const answer = name
      ? /** @type {Promise<{ api_key?: string | null }>} */ (getJson(`/apikey/keys/${encodeURIComponent(name)}/secret`))
        .catch(() => { chooseKey(''); return primary(); })
      : primary();
    keyPromise = answer.then((r) => r.api_key || '').catch(() => '');
  }
  return keyPromise;
}

/**
 * Only our own `/api/` routes may be called from the page.
 * @param {unknown} path
 */
export function allowedApiPath(path) {
  if (typeof path !== 'string' || !path.startsWith('/api/') || path.includes('\\')) return false;
  try {
    const u = new URL(path, location.origin);
    return u.origin === location.origin && u.pathname.startsWith('/api/');
  } catch {
    return false;
  }
}
