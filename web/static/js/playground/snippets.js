// @ts-check
// Code snippets for a request: cURL, Python with the official `openalgo` SDK, Python
// `requests`; cURL and `requests` also with the key in an `X-API-KEY` header instead of
// the body or query string (headerKey). A request is {method, url (absolute, GET params
// folded in), body (text), headers: [[name, value]]}.

/**
 * A request as the playground sends it.
 * @typedef {{ method: string, url: string, body: string | null, headers: Array<[string, string]>,
 *   path: string }} Request
 */

const DEFAULT_HEADERS = new Set(['accept', 'content-type']);

/** @param {string} s */
function shellQuote(s) {
  return `'${s.replaceAll("'", "'\\''")}'`;
}

/** @param {Omit<Request, 'path'>} request */
export function curl({ method, url, body, headers }) {
  const parts = [`curl -X ${method} "${url.replaceAll('"', '%22')}"`, '-H "Accept: application/json"'];
  for (const [k, v] of headers) {
    if (!DEFAULT_HEADERS.has(k.toLowerCase())) parts.push(`-H ${shellQuote(`${k}: ${v}`)}`);
  }
  if (method !== 'GET' && body && body.trim()) {
    parts.push('-H "Content-Type: application/json"', `-d ${shellQuote(body)}`);
  }
  return parts.join(' \\\n  ');
}

/**
 * A JSON value as a Python literal.
 * @param {unknown} v
 * @param {string} [indent]
 * @returns {string}
 */
function py(v, indent = '') {
  if (v === null || v === undefined) return 'None';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  const inner = `${indent}    `;
  if (Array.isArray(v)) {
    if (!v.length) return '[]';
    return `[\n${v.map((x) => inner + py(x, inner)).join(',\n')},\n${indent}]`;
  }
  if (typeof v !== 'object') return String(v);
  const entries = Object.entries(v);
  if (!entries.length) return '{}';
  return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${py(x, inner)}`).join(',\n')},\n${indent}}`;
}

/**
 * The body as a JSON object, or null when it is not one.
 * @param {string | null} body
 * @returns {Record<string, unknown> | null}
 */
function parseBody(body) {
  try {
    /** @type {unknown} */
    const v = JSON.parse(body || '{}');
    // A parsed JSON object is a plain record.
    return v && typeof v === 'object' && !Array.isArray(v) ? /** @type {Record<string, unknown>} */ (v) : null;
  } catch {
    return null;
  }
}

/**
 * The same request with its key moved from the body's `apikey` (or the query string's)
 * into an `X-API-KEY` header; unchanged when it carries no key there.
 * @template {Omit<Request, 'path'>} R
 * @param {R} request
 * @returns {R}
 */
export function headerKey(request) {
  const obj = parseBody(request.body);
  if (request.method !== 'GET' && obj && typeof obj.apikey === 'string') {
    const { apikey, ...rest } = obj;
    return { ...request, body: JSON.stringify(rest, null, 2), headers: [...request.headers, ['X-API-KEY', apikey]] };
  }
  try {
    const url = new URL(request.url);
    const key = url.searchParams.get('apikey');
    if (key === null) return request;
    url.searchParams.delete('apikey');
    return { ...request, url: url.toString(), headers: [...request.headers, ['X-API-KEY', key]] };
  } catch {
    return request;
  }
}

/** @param {Omit<Request, 'path'>} request */
export function requests({ method, url, body, headers }) {
  const obj = parseBody(body);
  const hdrs = Object.fromEntries(headers);
  const lines = ['import requests', ''];
  const h = `headers=${py(hdrs)}`;
  if (method === 'GET') {
    lines.push(`response = requests.get(\n    ${JSON.stringify(url)},\n    ${h},\n    timeout=30,\n)`);
  } else {
    const payload = obj ? `json=${py(obj, '    ')}` : `data=${JSON.stringify(body || '')}`;
    lines.push(`response = requests.${method.toLowerCase()}(\n    ${JSON.stringify(url)},\n    ${payload},\n    ${h},\n    timeout=30,\n)`);
  }
  lines.push('print(response.status_code)', 'print(response.json())');
  return lines.join('\n');
}

// endpoint (after /api/v1/) → SDK method; renamed arguments.
/** @type {Record<string, string>} */
const SDK = {
  placeorder: 'placeorder', placesmartorder: 'placesmartorder', basketorder: 'basketorder',
  splitorder: 'splitorder', orderstatus: 'orderstatus', openposition: 'openposition',
  modifyorder: 'modifyorder', cancelorder: 'cancelorder', closeposition: 'closeposition',
  cancelallorder: 'cancelallorder', quotes: 'quotes', multiquotes: 'multiquotes', depth: 'depth',
  symbol: 'symbol', search: 'search', history: 'history', intervals: 'intervals', expiry: 'expiry',
  instruments: 'instruments', funds: 'funds', orderbook: 'orderbook', tradebook: 'tradebook',
  positionbook: 'positionbook', holdings: 'holdings', analyzer: 'analyzerstatus',
  'analyzer/toggle': 'analyzertoggle', margin: 'margin', syntheticfuture: 'syntheticfuture',
  optionsorder: 'optionsorder', optionsymbol: 'optionsymbol', optiongreeks: 'optiongreeks',
  optionchain: 'optionchain', optionsmultiorder: 'optionsmultiorder',
  'telegram/notify': 'telegram', 'market/holidays': 'holidays', 'market/timings': 'timings',
};
/** @type {Record<string, string>} */
const RENAME = { pricetype: 'price_type', orderid: 'order_id' };

/**
 * @param {Request} request
 * @param {string} origin the server's, for the SDK's host
 */
export function sdk({ url, body, path, method }, origin) {
  const endpoint = path.replace(/^\/api\/v1\//, '').replace(/\/$/, '');
  const fn = SDK[endpoint];
  const key = (() => {
    const obj = parseBody(body);
    if (obj && typeof obj.apikey === 'string') return obj.apikey;
    try { return new URL(url).searchParams.get('apikey') || ''; } catch { return ''; }
  })();
  const head = [
    'from openalgo import api',
    '',
    `client = api(api_key=${JSON.stringify(key || 'YOUR_API_KEY')}, host=${JSON.stringify(origin)})`,
  ];
  if (!fn) {
    return [
      `# The openalgo SDK has no method for ${path}; use requests instead:`,
      '',
      requests({ method, url, body, headers: [['Content-Type', 'application/json']] }),
    ].join('\n');
  }
  let args = parseBody(body) || {};
  if (method === 'GET') {
    args = {};
    try { for (const [k, v] of new URL(url).searchParams) args[k] = v; } catch { /* keep */ }
  }
  const kw = Object.entries(args)
    .filter(([k]) => k !== 'apikey' && !(endpoint === 'instruments' && k === 'format'))
    .map(([k, v]) => `    ${RENAME[k] || k}=${py(v, '    ')},`);
  const call = kw.length ? `response = client.${fn}(\n${kw.join('\n')}\n)` : `response = client.${fn}()`;
  return [...head, call, 'print(response)'].join('\n');
}
