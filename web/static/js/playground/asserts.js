// @ts-check
// Bruno's `assert` blocks evaluated in the page, with the semantics of `bru run`'s default
// ("safe", QuickJS) runtime: @usebruno/js's assert-runtime.js and the chai 4 / chai-string
// assertions it calls. Operands are typed as Bruno types them: numbers (Number, then
// parseInt/parseFloat), true/false/null/undefined, quoted strings, otherwise the text as a
// JS template literal (escapes cooked; `${…}` is refused: no JavaScript runs here), after
// {{var}} interpolation. The left side is a property path over `res` (status, statusText,
// headers, body, responseTime, url), `res('query')` or a variable; anything else is
// reported as unsupported rather than guessed. As in QuickJS, an error while evaluating
// a side becomes its value (an error object), so `isDefined` passes on it and `eq` fails.
// Pure: no DOM, usable from node's test runner.
import { interpolate } from './vars.js';

/**
 * The response as asserts see it (`res`): headers with lower-case names, the body parsed
 * as JSON when it is JSON, else its text.
 * @typedef {{ status: number, statusText: string, headers: Record<string, string>,
 *   body: unknown, responseTime: number, url?: string }} Res
 * @typedef {{ name: string, value: string, enabled?: boolean }} Assertion
 * @typedef {{ name: string, value: string, operator: string, operand: string,
 *   status: 'pass' | 'fail', actual: string, error?: string }} AssertResult
 */

export const UNARY = ['isEmpty', 'isNotEmpty', 'isNull', 'isUndefined', 'isDefined', 'isTruthy',
  'isFalsy', 'isJson', 'isNumber', 'isString', 'isBoolean', 'isArray'];
export const BINARY = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'notIn', 'contains',
  'notContains', 'length', 'matches', 'notMatches', 'startsWith', 'endsWith', 'between'];

/** A JS error as QuickJS hands it back: a plain object, so it is "defined" and "JSON". */
const ERROR = Symbol('error');
/** @typedef {{ name: string, message: string, [ERROR]: true }} ErrorValue */

/**
 * @param {string} name
 * @param {string} message
 * @returns {ErrorValue}
 */
function errorValue(name, message) { return { name, message, [ERROR]: true }; }

/** @param {unknown} v @returns {v is ErrorValue} */
function isErrorValue(v) { return typeof v === 'object' && v !== null && ERROR in v; }

/** Our own limit (not Bruno's behaviour): the assertion fails with this message. */
export class Unsupported extends Error {}

/** The assertion failed, with chai's reason. */
class Failed extends Error {}

/**
 * `eq 200` → eq / "200"; a first word that is no operator means `eq <whole value>`
 * (Bruno's parseAssertionOperator: split on single spaces, the rest joined back).
 * @param {string} str
 * @returns {{ operator: string, operand: string }}
 */
export function parseOperator(str) {
  if (!str || typeof str !== 'string') return { operator: 'eq', operand: str ?? '' };
  const [operator = '', ...rest] = str.trim().split(' ');
  if (UNARY.includes(operator)) return { operator, operand: '' };
  if (BINARY.includes(operator)) return { operator, operand: rest.join(' ') };
  return { operator: 'eq', operand: str };
}

// ---- values as chai prints and types them ------------------------------------------

/** chai's type-detect, lower-cased: null, undefined, array, object, string, number, ... */
/** @param {unknown} v */
function typeOf(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (v instanceof RegExp) return 'regexp';
  return typeof v;
}

/**
 * A value for messages and the results table, cut at 200 characters.
 * @param {unknown} v
 * @returns {string}
 */
export function show(v) {
  let s;
  if (isErrorValue(v)) s = `${v.name}: ${v.message}`;
  else if (typeof v === 'string') s = `'${v}'`;
  else if (v === undefined) s = 'undefined';
  else if (typeof v === 'number') s = Object.is(v, -0) ? '-0' : String(v);
  else {
    try { s = JSON.stringify(v) ?? String(v); } catch { s = String(v); }
  }
  return s.length > 200 ? `${s.slice(0, 199)}…` : s;
}

// ---- the left side: property paths --------------------------------------------------

/**
 * `.name`, `[0]`, `["key"]`, `['key']` accessors after a root, or null when the text is
 * not such a chain.
 * @param {string} text
 * @returns {Array<string | number> | null}
 */
function accessors(text) {
  /** @type {Array<string | number>} */
  const keys = [];
  let i = 0;
  while (i < text.length) {
    const rest = text.slice(i);
    let m = /^\s*\.\s*([A-Za-z_$][\w$]*)/.exec(rest);
    if (m && m[1] !== undefined) { keys.push(m[1]); i += m[0].length; continue; }
    m = /^\s*\[\s*(\d+)\s*\]/.exec(rest);
    if (m && m[1] !== undefined) { keys.push(Number(m[1])); i += m[0].length; continue; }
    m = /^\s*\[\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*\]/.exec(rest);
    if (m) {
      const raw = m[1] ?? m[2] ?? '';
      keys.push(raw.replace(/\\(.)/g, '$1'));
      i += m[0].length;
      continue;
    }
    if (/^\s+$/.test(rest)) break;
    return null;
  }
  return keys;
}

/**
 * JS property access on JSON data: own properties of objects, array items and
 * `length`, string characters and `length`; reading from null/undefined is a TypeError.
 * @param {unknown} base
 * @param {string | number} key
 * @returns {unknown}
 */
function access(base, key) {
  if (base === null || base === undefined) {
    throw new TypeError(`cannot read property '${key}' of ${base}`);
  }
  if (typeof base === 'string' || Array.isArray(base)) {
    if (key === 'length') return base.length;
    const n = typeof key === 'number' ? key : /^(0|[1-9]\d*)$/.test(key) ? Number(key) : -1;
    return n >= 0 && n < base.length ? base[n] : undefined;
  }
  if (typeof base === 'object' && Object.prototype.hasOwnProperty.call(base, key)) {
    return /** @type {Record<string, unknown>} */ (base)[key];
  }
  return undefined;
}

/**
 * @usebruno/query's `get` as `res('path')` uses it: dotted names map over arrays, `..`
 * searches deep, `[n]` indexes; `[?]` filters need a function, which text cannot pass.
 * @param {unknown} source
 * @param {string} path
 * @returns {unknown}
 */
export function query(source, path) {
  /** @param {unknown} value @returns {unknown} */
  const normalize = (value) => {
    if (!Array.isArray(value)) return value;
    /** @type {unknown[]} */
    const out = [];
    for (const item of value) {
      const v = normalize(item);
      if (v != null) out.push(...(Array.isArray(v) ? v : [v]));
    }
    return out.length ? out : undefined;
  };
  /** @type {(src: unknown, prop: string, deep: boolean) => unknown} */
  const getValue = (src, prop, deep) => {
    if (typeof src !== 'object') return undefined;
    // As in @usebruno/query: a null met on the way is read from, which throws.
    if (src === null) throw new TypeError(`cannot read property '${prop}' of null`);
    if (Array.isArray(src)) return normalize(src.map((item) => getValue(item, prop, deep)));
    const obj = /** @type {Record<string, unknown>} */ (src);
    /** @type {unknown} */
    let value = Object.prototype.hasOwnProperty.call(obj, prop) ? obj[prop] : undefined;
    if (deep) {
      const all = [value];
      for (const [k, item] of Object.entries(obj)) {
        if (k !== prop && typeof item === 'object') all.push(getValue(item, prop, deep));
      }
      value = all;
    }
    return normalize(value);
  };
  const tokens = path.replace(/\s+/g, '').split(/(\.{1,2}|\[\?\]|\[\d+\])/g)
    .filter((s) => s.length > 0)
    .map((s) => { const t = s.replace(/\[|\]/g, ''); const n = parseInt(t, 10); return Number.isNaN(n) ? t : n; });
  let cur = source;
  /** @type {string | number} */
  let behind = '';
  for (const token of tokens) {
    if (cur == null) break;
    if (token === '?') throw new Unsupported('res(…) filters ([?]) need a function, which an assert cannot pass');
    if (typeof token === 'number') cur = normalize(access(cur, token));
    else if (token !== '.' && token !== '..') cur = getValue(cur, token, behind === '..');
    behind = token;
  }
  return cur;
}

/**
 * The value of an assert's left side (or a post-response variable's expression): a JS
 * literal, `res` and a property chain, `res('query')`, or a variable and a chain.
 * @param {string} expr
 * @param {Res} res
 * @param {Record<string, unknown>} vars runtime and environment variables by name
 * @returns {unknown}
 */
export function evaluateExpression(expr, res, vars) {
  const text = expr.trim();
  const literal = jsLiteral(text);
  if (literal.ok) return literal.value;
  try {
    const call = /^res\s*\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\s*\)/.exec(text);
    if (call) {
      const keys = accessors(text.slice(call[0].length));
      if (keys) return keys.reduce(access, query(res.body, (call[1] ?? call[2] ?? '').replace(/\\(.)/g, '$1')));
    }
    const root = /^([A-Za-z_$][\w$]*)/.exec(text);
    if (root && root[1] !== undefined) {
      const keys = accessors(text.slice(root[1].length));
      if (keys) {
        /** @type {unknown} */
        let base;
        if (root[1] === 'res') {
          const [first, ...more] = keys;
          if (first === undefined) throw new Unsupported('`res` alone is a function in Bruno; name a field: res.status, res.body, ...');
          const fields = /** @type {Record<string, unknown>} */ ({
            status: res.status, statusText: res.statusText, headers: res.headers, body: res.body,
            responseTime: res.responseTime, url: res.url ?? null,
          });
          if (typeof first !== 'string' || !(first in fields)) {
            throw new Unsupported(`res.${first} is not evaluated in the browser (res.status, res.statusText, res.headers, res.body, res.responseTime, res.url)`);
          }
          base = fields[first];
          return more.reduce(access, base);
        }
        if (root[1] === 'req' || root[1] === 'bru') throw new Unsupported(`${root[1]} is not evaluated in the browser`);
        if (Object.prototype.hasOwnProperty.call(vars, root[1])) return keys.reduce(access, vars[root[1]]);
        return errorValue('ReferenceError', `'${root[1]}' is not defined`);
      }
    }
  } catch (e) {
    if (e instanceof TypeError) return errorValue('TypeError', e.message);
    throw e;
  }
  throw new Unsupported(`"${text}" is not evaluated in the browser: use res.status, res.body…, res.headers…, res.responseTime, res('path') or a variable`);
}

/**
 * A JS literal on its own: number, quoted string, true/false/null/undefined.
 * @param {string} text
 * @returns {{ ok: true, value: unknown } | { ok: false }}
 */
function jsLiteral(text) {
  if (/^-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text)) return { ok: true, value: Number(text) };
  if (text === 'true') return { ok: true, value: true };
  if (text === 'false') return { ok: true, value: false };
  if (text === 'null') return { ok: true, value: null };
  if (text === 'undefined') return { ok: true, value: undefined };
  const q = /^(?:"((?:[^"\\\n]|\\.)*)"|'((?:[^'\\\n]|\\.)*)')$/.exec(text);
  if (q) {
    const cooked = cook(q[1] ?? q[2] ?? '', '');
    return cooked.ok ? { ok: true, value: cooked.value } : { ok: false };
  }
  return { ok: false };
}

// ---- the right side: Bruno's operand typing -----------------------------------------

/**
 * A string literal's escapes cooked as JS does (`\n`, `\t`, `\xHH`, `\u{…}`, `\<other>`
 * is the character); a quote of `close` left unescaped, octal escapes and bad \x / \u
 * are SyntaxErrors.
 * @param {string} s
 * @param {string} close the delimiter that may not appear unescaped ('`' for templates)
 * @returns {{ ok: true, value: string } | { ok: false, error: string }}
 */
function cook(s, close) {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i] ?? '';
    if (close && c === close) return { ok: false, error: `unexpected ${close}` };
    if (c !== '\\') { out += c; continue; }
    const n = s[++i];
    if (n === undefined) return { ok: false, error: 'unterminated escape' };
    const simple = /** @type {Record<string, string>} */ ({ n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v' });
    if (n in simple) { out += simple[n]; continue; }
    if (n === '0' && !/[0-9]/.test(s[i + 1] ?? '')) { out += '\0'; continue; }
    if (/[0-9]/.test(n)) return { ok: false, error: 'octal escape sequences are not allowed in template strings' };
    if (n === 'x') {
      const h = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(h)) return { ok: false, error: 'malformed hexadecimal character escape sequence' };
      out += String.fromCharCode(parseInt(h, 16));
      i += 2;
      continue;
    }
    if (n === 'u') {
      const braced = /^\{([0-9a-fA-F]+)\}/.exec(s.slice(i + 1));
      if (braced && braced[1] !== undefined && parseInt(braced[1], 16) <= 0x10ffff) {
        out += String.fromCodePoint(parseInt(braced[1], 16));
        i += braced[0].length;
        continue;
      }
      const h = s.slice(i + 1, i + 5);
      if (!/^[0-9a-fA-F]{4}$/.test(h)) return { ok: false, error: 'malformed Unicode character escape sequence' };
      out += String.fromCharCode(parseInt(h, 16));
      i += 4;
      continue;
    }
    if (n === '\n' || n === '\u2028' || n === '\u2029') continue;
    out += n;
  }
  return { ok: true, value: out };
}

/**
 * An operand after interpolation, typed as Bruno's QuickJS runtime types it.
 * @param {string} raw
 * @returns {unknown}
 */
export function typeOperand(raw) {
  if (!raw) return raw;
  const s = raw.trim();
  const num = Number(s);
  if (!Number.isNaN(num)) {
    if (num > Number.MAX_SAFE_INTEGER) return s;
    return Number.isInteger(num) ? parseInt(s, 10) : parseFloat(s);
  }
  if (s === 'true') return true;
  if (s === 'false') return false;
  if (s === 'null') return null;
  if (s === 'undefined') return undefined;
  const unquoted = (s.startsWith('"') && s.endsWith('"')) || (s.startsWith("'") && s.endsWith("'")) ? s.slice(1, -1) : s;
  if (/(^|[^\\])(\\\\)*\$\{/.test(unquoted)) {
    throw new Unsupported('`${…}` in an operand is JavaScript, which the browser does not run');
  }
  const cooked = cook(unquoted, '`');
  return cooked.ok ? cooked.value : errorValue('SyntaxError', cooked.error);
}

/**
 * The right side for an operator (Bruno's evaluateRhsOperand): lists for in/notIn
 * (`a,b` or `[a, b]`), two values for between, a regex source for (not)matches.
 * @param {string} operand
 * @param {string} operator
 * @param {Record<string, unknown>} vars
 * @returns {unknown}
 */
export function evaluateOperand(operand, operator, vars) {
  if (UNARY.includes(operator)) return undefined;
  let text = operand;
  if (operator === 'in' || operator === 'notIn') {
    if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
    return text.split(',').map((v) => typeOperand(interpolate(v.trim(), vars)));
  }
  if (operator === 'between') {
    const [lo, hi] = text.split(',').map((v) => typeOperand(interpolate(v.trim(), vars)));
    return [lo, hi];
  }
  if (operator === 'matches' || operator === 'notMatches') {
    if (text.startsWith('/') && text.endsWith('/')) text = text.slice(1, -1);
    return interpolate(text, vars);
  }
  return typeOperand(interpolate(text, vars));
}

// ---- the operators, as chai 4 / chai-string decide them ------------------------------

/**
 * @param {boolean} ok
 * @param {string} message
 */
function check(ok, message) { if (!ok) throw new Failed(message); }

/**
 * chai's above/least/below/most: both numbers, or the reason they are not.
 * @param {unknown} lhs
 * @param {unknown} rhs
 * @param {string} name
 * @returns {[number, number]}
 */
function numbers(lhs, rhs, name) {
  if (typeOf(lhs) === 'number' && typeOf(rhs) !== 'number') throw new Failed(`the argument to ${name} must be a number`);
  if (typeOf(lhs) !== 'number') throw new Failed(`expected ${show(lhs)} to be a number or a date`);
  return [/** @type {number} */ (lhs), /** @type {number} */ (rhs)];
}

/**
 * chai's include: substring, array item (===), or object properties; else its error.
 * @param {unknown} lhs
 * @param {unknown} rhs
 */
function includes(lhs, rhs) {
  if (typeof lhs === 'string') return lhs.indexOf(String(rhs)) !== -1;
  if (Array.isArray(lhs)) return lhs.indexOf(rhs) !== -1;
  if (rhs === null || (typeof rhs !== 'object' && typeof rhs !== 'function')) {
    throw new Failed(`the given combination of arguments (${typeOf(lhs)} and ${typeOf(rhs)}) is invalid for this assertion. You can use an array, a map, an object, a set, a string, or a weakset instead of a ${typeOf(rhs)}`);
  }
  if (lhs === null || lhs === undefined) throw new Failed('Target cannot be null or undefined.');
  const obj = /** @type {Record<string, unknown>} */ (lhs);
  return Object.entries(/** @type {object} */ (rhs)).every(([k, v]) => k in Object(obj) && obj[k] === v);
}

/**
 * chai's `.empty`: length of strings and arrays, keys of objects; other primitives are
 * an error whether negated or not.
 * @param {unknown} v
 */
function isEmpty(v) {
  if (typeof v === 'string' || Array.isArray(v)) return v.length === 0;
  if (v === null || (typeof v !== 'object' && typeof v !== 'function')) {
    throw new Failed(`.empty was passed non-string primitive ${show(v)}`);
  }
  if (typeof v === 'function') throw new Failed('.empty was passed a function');
  return Object.keys(v).length === 0;
}

/**
 * One operator applied; throws Failed with chai's reason when it does not hold.
 * @param {string} operator
 * @param {unknown} lhs
 * @param {unknown} rhs
 */
function apply(operator, lhs, rhs) {
  const a = show(lhs);
  switch (operator) {
    case 'eq': return check(lhs === rhs, `expected ${a} to equal ${show(rhs)}`);
    case 'neq': return check(lhs !== rhs, `expected ${a} to not equal ${show(rhs)}`);
    case 'gt': { const [x, y] = numbers(lhs, rhs, 'above'); return check(x > y, `expected ${a} to be above ${show(rhs)}`); }
    case 'gte': { const [x, y] = numbers(lhs, rhs, 'least'); return check(x >= y, `expected ${a} to be at least ${show(rhs)}`); }
    case 'lt': { const [x, y] = numbers(lhs, rhs, 'below'); return check(x < y, `expected ${a} to be below ${show(rhs)}`); }
    case 'lte': { const [x, y] = numbers(lhs, rhs, 'most'); return check(x <= y, `expected ${a} to be at most ${show(rhs)}`); }
    case 'in': return check(/** @type {unknown[]} */ (rhs).indexOf(lhs) > -1, `expected ${a} to be one of ${show(rhs)}`);
    case 'notIn': return check(/** @type {unknown[]} */ (rhs).indexOf(lhs) === -1, `expected ${a} to not be one of ${show(rhs)}`);
    case 'contains': return check(includes(lhs, rhs), `expected ${a} to include ${show(rhs)}`);
    case 'notContains': return check(!includes(lhs, rhs), `expected ${a} to not include ${show(rhs)}`);
    case 'length': {
      if (lhs === null || lhs === undefined) throw new Failed('Target cannot be null or undefined.');
      const len = typeof lhs === 'string' || Array.isArray(lhs) ? lhs.length
        : typeof lhs === 'object' && 'length' in lhs ? /** @type {{ length: unknown }} */ (lhs).length : undefined;
      if (len === undefined) throw new Failed(`expected ${a} to have property 'length'`);
      // chai compares the count with ==.
      return check(len == rhs, `expected ${a} to have a length of ${show(rhs)} but got ${show(len)}`);
    }
    case 'matches':
    case 'notMatches': {
      const re = new RegExp(String(rhs));
      const hit = lhs !== undefined && re.test(String(lhs));
      return check(operator === 'matches' ? hit : !hit, `expected ${a} ${operator === 'matches' ? 'to' : 'not to'} match ${re}`);
    }
    case 'startsWith': return check(typeof lhs === 'string' && typeof rhs === 'string' && lhs.startsWith(rhs), `expected ${a} to start with ${show(rhs)}`);
    case 'endsWith': return check(typeof lhs === 'string' && typeof rhs === 'string' && lhs.endsWith(rhs), `expected ${a} to end with ${show(rhs)}`);
    case 'between': {
      const [lo, hi] = /** @type {unknown[]} */ (rhs);
      if (typeOf(lhs) === 'number' && (typeOf(lo) !== 'number' || typeOf(hi) !== 'number')) throw new Failed('the arguments to within must be numbers');
      if (typeOf(lhs) !== 'number') throw new Failed(`expected ${a} to be a number or a date`);
      const x = /** @type {number} */ (lhs);
      return check(x >= /** @type {number} */ (lo) && x <= /** @type {number} */ (hi), `expected ${a} to be within ${show(lo)}..${show(hi)}`);
    }
    case 'isEmpty': return check(isEmpty(lhs), `expected ${a} to be empty`);
    case 'isNotEmpty': return check(!isEmpty(lhs), `expected ${a} not to be empty`);
    case 'isNull': return check(lhs === null, `expected ${a} to be null`);
    case 'isUndefined': return check(lhs === undefined, `expected ${a} to be undefined`);
    case 'isDefined': return check(lhs !== undefined, `expected ${a} not to be undefined`);
    // Bruno maps these to chai's `.true` / `.false`: the booleans themselves, not truthiness.
    case 'isTruthy': return check(lhs === true, `expected ${a} to be true`);
    case 'isFalsy': return check(lhs === false, `expected ${a} to be false`);
    case 'isJson': return check(typeof lhs === 'object' && lhs !== null, `expected ${a} to be JSON`);
    case 'isNumber': return check(typeof lhs === 'number', `expected ${a} to be a number`);
    case 'isString': return check(typeof lhs === 'string', `expected ${a} to be a string`);
    case 'isBoolean': return check(typeof lhs === 'boolean', `expected ${a} to be a boolean`);
    case 'isArray': return check(Array.isArray(lhs), `expected ${a} to be an array`);
    default: return check(lhs === rhs, `expected ${a} to equal ${show(rhs)}`);
  }
}

/**
 * Every enabled assertion evaluated on a response, in order.
 * @param {Assertion[]} assertions
 * @param {Res} res
 * @param {Record<string, unknown>} vars the variables in scope (for {{var}} operands)
 * @returns {AssertResult[]}
 */
export function runAssertions(assertions, res, vars) {
  return assertions.filter((a) => a.enabled !== false).map((a) => {
    const { operator, operand } = parseOperator(a.value);
    /** @type {unknown} */
    let lhs;
    let actual = '';
    try {
      lhs = evaluateExpression(a.name, res, vars);
      actual = show(lhs);
      apply(operator, lhs, evaluateOperand(operand, operator, vars));
      return { name: a.name, value: a.value, operator, operand, status: 'pass', actual };
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      return { name: a.name, value: a.value, operator, operand, status: 'fail', actual, error };
    }
  });
}
