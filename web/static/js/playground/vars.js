// @ts-check
// Bruno's variables in the page: {{var}} interpolation (@usebruno/common's interpolate:
// nested variables resolved, cycles left as written, objects as JSON, unknown names kept),
// the scopes in bru run's precedence (collection < environment < folder < request
// vars:pre-request < runtime), vars:post-response evaluated on the response, and the
// runtime variables kept per browser tab (sessionStorage). Expansion is capped at 1 MiB:
// variables that nest into each other can double at each level. The key variable is never
// taken from a file or storage: the page passes the session's key in, and a
// post-response variable of that name is refused.
import { evaluateExpression } from './asserts.js';

/** @import { Res } from './asserts.js' */

/**
 * A variable line of a .bru file as the parser gives it.
 * @typedef {{ name: string, value: unknown, enabled?: boolean }} VarEntry
 */

/** The variable that carries the API key: from the session only. */
export const KEY_VAR = 'apikey';
const STORE_VARS = 'algogate-playground-vars';
const STORE_ENV = 'algogate-playground-env';
/** Runtime variables kept, at most, and the longest value kept (sessionStorage is small). */
const MAX_VARS = 200;
const MAX_VALUE = 64 * 1024;
/** Interpolation stops expanding past this many characters (nested variables can double). */
const MAX_EXPANSION = 1024 * 1024;

/**
 * lodash's `get` as interpolate uses it: the whole name as a key first, else a path of
 * `.name` and `[index]` parts.
 * @param {Record<string, unknown>} obj
 * @param {string} path
 * @returns {unknown}
 */
function lookup(obj, path) {
  if (Object.prototype.hasOwnProperty.call(obj, path)) return obj[path];
  const parts = path.replace(/\[(\d+)\]/g, '.$1').split('.').filter((p) => p.length);
  /** @type {unknown} */
  let cur = obj;
  for (const p of parts) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, p)) return undefined;
    cur = /** @type {Record<string, unknown>} */ (cur)[p];
  }
  return cur;
}

/**
 * `{{name}}` replaced by the variable's value (a port of @usebruno/common's replace: a
 * value holding `{{…}}` is interpolated in turn, each placeholder resolved once).
 * @param {string} str
 * @param {Record<string, unknown>} vars
 * @returns {string}
 */
export function interpolate(str, vars) {
  if (!str || typeof str !== 'string') return str;
  /** @type {Set<string>} */
  const visited = new Set();
  /** @type {Map<string, string>} */
  const results = new Map();
  let produced = 0;
  /** @param {string} s @returns {string} */
  const replace = (s) => {
    let out = s;
    let again = true;
    while (again) {
      again = false;
      out = out.replace(/\{\{([^}]+)\}\}/g, (match, name) => {
        const known = results.get(match);
        if (known !== undefined) {
          produced += known.length;
          return produced > MAX_EXPANSION ? match : known;
        }
        /** @type {unknown} */
        let value = lookup(vars, name);
        if (typeof value === 'object' && value !== null) value = JSON.stringify(value);
        const text = value === undefined ? undefined : String(value);
        produced += text?.length ?? 0;
        if (produced > MAX_EXPANSION) return match;
        if (text !== undefined && /\{\{([^}]+)\}\}/.test(text) && !visited.has(match)) {
          visited.add(match);
          const result = replace(text);
          results.set(match, result);
          again = true;
          return result;
        }
        visited.add(match);
        const result = text ?? match;
        results.set(match, result);
        again = true;
        return result;
      });
    }
    return out;
  };
  return replace(str);
}

/**
 * The enabled entries of a vars list as name → value.
 * @param {VarEntry[] | undefined} list
 * @returns {Record<string, unknown>}
 */
export function entries(list) {
  /** @type {Record<string, unknown>} */
  const out = {};
  for (const v of list || []) if (v && v.enabled !== false && v.name) out[v.name] = v.value;
  return out;
}

/**
 * Every scope merged in bru run's order (later wins), with the session's key last so no
 * file or stored value can replace it.
 * @param {{ collection?: Record<string, unknown>, env?: Record<string, unknown>,
 *   folder?: Record<string, unknown>, request?: Record<string, unknown>,
 *   runtime?: Record<string, unknown>, key: string, host: string }} scopes
 * @returns {Record<string, unknown>}
 */
export function scope({ collection = {}, env = {}, folder = {}, request = {}, runtime = {}, key, host }) {
  return { ...collection, ...env, host, ...folder, ...request, ...runtime, [KEY_VAR]: key };
}

/**
 * vars:post-response evaluated on a response: name → value for those that evaluated,
 * and an error per variable that did not (or that would carry the key).
 * @param {VarEntry[] | undefined} list
 * @param {Res} res
 * @param {Record<string, unknown>} vars
 * @returns {{ set: Record<string, unknown>, errors: string[] }}
 */
export function postResponse(list, res, vars) {
  /** @type {Record<string, unknown>} */
  const set = {};
  /** @type {string[]} */
  const errors = [];
  for (const v of list || []) {
    if (!v || v.enabled === false || !v.name) continue;
    if (v.name === KEY_VAR) { errors.push(`${v.name}: the API key comes from the session, not from a response`); continue; }
    try {
      set[v.name] = evaluateExpression(String(v.value ?? ''), res, { ...vars, ...set });
    } catch (e) {
      errors.push(`${v.name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { set, errors };
}

// ---- per-tab storage ---------------------------------------------------------------

/** @returns {Storage | null} */
function store() {
  try { return globalThis.sessionStorage ?? null; } catch { return null; }
}

/**
 * The runtime variables of this browser tab (never the key).
 * @returns {Record<string, unknown>}
 */
export function loadRuntime() {
  try {
    /** @type {unknown} */
    const v = JSON.parse(store()?.getItem(STORE_VARS) || '{}');
    if (!v || typeof v !== 'object' || Array.isArray(v)) return {};
    const out = /** @type {Record<string, unknown>} */ (v);
    delete out[KEY_VAR];
    return out;
  } catch { return {}; }
}

/**
 * Keeps the runtime variables for this tab; the key variable, and values too long for
 * storage, are left out.
 * @param {Record<string, unknown>} vars
 */
export function saveRuntime(vars) {
  /** @type {Record<string, unknown>} */
  const kept = {};
  for (const [k, v] of Object.entries(vars).slice(0, MAX_VARS)) {
    if (k === KEY_VAR) continue;
    const text = JSON.stringify(v ?? null);
    if (text.length <= MAX_VALUE) kept[k] = v;
  }
  try { store()?.setItem(STORE_VARS, JSON.stringify(kept)); } catch { /* full or blocked */ }
}

/** @returns {string | null} the environment chosen in this tab */
export function loadEnvName() {
  try { return store()?.getItem(STORE_ENV) ?? null; } catch { return null; }
}

/** @param {string} name */
export function saveEnvName(name) {
  try { store()?.setItem(STORE_ENV, name); } catch { /* blocked */ }
}
