// @ts-check
// Runs our collection's HTTP requests from the page the way `bru run` does: folders in
// Bruno's order (by seq, the others alphabetically), requests by seq, each request's
// vars:pre-request, collection and folder headers and vars:post-response under its own,
// {{var}} interpolation of URL, headers and body, the response's vars:post-response and
// asserts, one after the other. As scripts/bru-run.sh passes
// --env-var host=… apikey=…, `host` is this page's origin and `apikey` the session's key;
// only this server's /api/ routes and /health are called. Pure apart from the injected
// `fetch`: no DOM.
import { runAssertions } from './asserts.js';
import { entries, interpolate, postResponse, scope } from './vars.js';

/** @import { AssertResult, Res } from './asserts.js' */
/** @import { VarEntry } from './vars.js' */

/**
 * collection.bru or a folder.bru as the parser gives it (the CLI's shape nests the same
 * blocks under `request`).
 * @typedef {{ meta?: { seq?: unknown }, headers?: VarEntry[], vars?: { req?: VarEntry[], res?: VarEntry[] },
 *   request?: { headers?: VarEntry[], vars?: { req?: VarEntry[], res?: VarEntry[] } } }} Root
 * A request file as the catalog's Bruno JSON carries it (bruToJson of the .bru file).
 * @typedef {{ meta?: { name?: string, seq?: unknown }, http?: { method?: string, url?: string,
 *   body?: string }, headers?: VarEntry[], body?: { json?: string },
 *   assertions?: Array<{ name: string, value: string, enabled?: boolean }>,
 *   vars?: { req?: VarEntry[], res?: VarEntry[] } }} RequestData
 * @typedef {{ type: string, name: string, seq?: unknown, filename?: string, data?: RequestData,
 *   root?: Root | null,
 *   items?: Item[] }} Item
 * @typedef {{ name: string, variables?: VarEntry[] }} Environment
 * @typedef {{ name?: string, root?: Item['root'], environments?: Environment[], items?: Item[] }} Collection
 * `headers` and `resVars` are those of collection.bru and folder.bru, which the request's
 * own extend (bru run's mergeHeaders / mergeVars).
 * @typedef {{ folder: string, name: string, file: string, data: RequestData,
 *   folderVars: Record<string, unknown>, headers: VarEntry[], resVars: VarEntry[] }} PlannedRequest
 * @typedef {{ method: string, url: string, path: string, headers: Array<[string, string]>,
 *   body: string | null }} Prepared
 * @typedef {{ folder: string, name: string, file: string, method: string, path: string,
 *   status: number | null, ms: number | null, result: 'pass' | 'fail' | 'error',
 *   error?: string, asserts: AssertResult[], varErrors: string[] }} RunResult
 */

/** Paths a request may call: this server's API, and its health check. */
const ALLOWED = /^\/(api\/|health$)/;

/** @param {unknown} seq */
function seqOf(seq) {
  const n = typeof seq === 'number' ? seq : Number(seq);
  return Number.isFinite(n) ? n : NaN;
}

/**
 * The Bruno CLI's sortByNameThenSequence for folders: alphabetical, then each folder
 * with a valid seq (integer > 0) inserted at position seq - 1.
 * @template {{ name: string, seq: number }} T
 * @param {T[]} items
 * @returns {T[]}
 */
export function sortFolders(items) {
  const valid = (/** @type {number} */ s) => Number.isInteger(s) && s > 0;
  const alpha = [...items].sort((a, b) => a.name.localeCompare(b.name));
  /** @type {Array<T | T[]>} */
  const out = alpha.filter((f) => !valid(f.seq));
  for (const item of alpha.filter((f) => valid(f.seq)).sort((a, b) => a.seq - b.seq)) {
    const pos = item.seq - 1;
    const there = out[pos];
    const same = Array.isArray(there) ? there[0]?.seq === item.seq : there?.seq === item.seq;
    if (there && same) out.splice(pos, 1, Array.isArray(there) ? [...there, item] : [there, item]);
    else out.splice(pos, 0, item);
  }
  return out.flatMap((x) => (Array.isArray(x) ? x : [x]));
}

/**
 * Lists of name/value entries merged by name, later lists winning, disabled ones dropped.
 * @param {...(VarEntry[] | undefined)} lists
 * @returns {VarEntry[]}
 */
export function mergeByName(...lists) {
  /** @type {Map<string, VarEntry>} */
  const out = new Map();
  for (const list of lists) for (const e of list || []) if (e && e.enabled !== false && e.name) out.set(e.name, e);
  return [...out.values()];
}

/**
 * The HTTP requests of the collection by folder, in run order; WebSocket items are left
 * out (bru run cannot run them either).
 * @param {Collection} collection
 * @returns {Array<{ name: string, requests: PlannedRequest[] }>}
 */
export function plan(collection) {
  /** @param {Item[]} items */
  const requestsOf = (items) => items
    .filter((i) => i.type === 'http-request' && i.data)
    .map((i, at) => ({ i, at, seq: seqOf(i.seq ?? i.data?.meta?.seq) }))
    .sort((a, b) => (a.seq - b.seq) || a.at - b.at)
    .map(({ i }) => i);
  const folders = (collection.items || []).filter((i) => i.type === 'folder')
    .map((f) => ({ name: f.name, seq: seqOf(f.root?.meta?.seq), item: f }));
  const top = collection.root || {};
  const topHeaders = top.headers ?? top.request?.headers;
  const topRes = top.vars?.res ?? top.request?.vars?.res;
  const out = sortFolders(folders).map(({ name, item }) => {
    const root = item.root || {};
    const folderVars = entries(root.vars?.req ?? root.request?.vars?.req);
    const headers = mergeByName(topHeaders, root.headers ?? root.request?.headers);
    const resVars = mergeByName(topRes, root.vars?.res ?? root.request?.vars?.res);
    return {
      name,
      requests: requestsOf(item.items || []).map((r) => ({
        folder: name, name: r.name, file: `${name}/${r.filename || r.name}`,
        data: /** @type {RequestData} */ (r.data), folderVars, headers, resVars,
      })),
    };
  }).filter((f) => f.requests.length);
  const loose = requestsOf(collection.items || []);
  if (loose.length) {
    const headers = mergeByName(topHeaders);
    const resVars = mergeByName(topRes);
    out.push({
      name: '',
      requests: loose.map((r) => ({
        folder: '', name: r.name, file: r.filename || r.name, data: /** @type {RequestData} */ (r.data),
        folderVars: {}, headers, resVars,
      })),
    });
  }
  return out;
}

/**
 * A request with its variables applied, or why it cannot be sent from here.
 * @param {RequestData} data
 * @param {Record<string, unknown>} vars
 * @param {string} origin the page's origin
 * @param {VarEntry[]} [inherited] collection and folder headers, under the request's own
 * @returns {Prepared | { error: string }}
 */
export function prepare(data, vars, origin, inherited = []) {
  const method = (data.http?.method || 'get').toUpperCase();
  const raw = interpolate(data.http?.url || '', vars);
  /** @type {URL} */
  let url;
  try { url = new URL(raw, origin); } catch { return { error: `the URL "${raw}" is not valid` }; }
  if (url.origin !== origin || !ALLOWED.test(url.pathname)) {
    return { error: `only this server's /api/ routes can be called from the playground (got ${url.origin}${url.pathname})` };
  }
  /** @type {Array<[string, string]>} */
  const headers = mergeByName(inherited, data.headers)
    .map((h) => [interpolate(h.name, vars), interpolate(String(h.value ?? ''), vars)]);
  const mode = data.http?.body || 'none';
  let body = null;
  if (method !== 'GET' && method !== 'HEAD' && mode === 'json' && data.body?.json !== undefined) {
    body = interpolate(data.body.json, vars);
    if (!headers.some(([k]) => k.toLowerCase() === 'content-type')) headers.push(['Content-Type', 'application/json']);
  }
  return { method, url: url.toString(), path: url.pathname, headers, body };
}

/**
 * Sends a prepared request and reads the answer as `res` (JSON body parsed when it is
 * JSON, as Bruno does).
 * @param {Prepared} p
 * @param {typeof fetch} fetchFn
 * @param {() => number} now milliseconds, for the response time
 * @returns {Promise<Res & { text: string }>}
 */
export async function send(p, fetchFn, now) {
  const started = now();
  const r = await fetchFn(p.url, {
    method: p.method, headers: p.headers, body: p.body ?? undefined,
    credentials: 'same-origin', cache: 'no-store',
  });
  const text = await r.text();
  const responseTime = Math.round(now() - started);
  /** @type {unknown} */
  let body = text;
  try { body = JSON.parse(text); } catch { /* not JSON: the text */ }
  /** @type {Record<string, string>} */
  const headers = {};
  r.headers.forEach((v, k) => { headers[k.toLowerCase()] = v; });
  return { status: r.status, statusText: r.statusText, headers, body, responseTime, url: p.url, text };
}

/**
 * Runs the requests in order. `runtime` (the tab's runtime variables) is updated in place
 * by each vars:post-response; `onResult` hears each request as it finishes; a request
 * whose asserts fail (or that cannot be sent) stops the run when `stopOnFailure`.
 * @param {PlannedRequest[]} requests
 * @param {{ collection: Record<string, unknown>, env: Record<string, unknown>,
 *   runtime: Record<string, unknown>, key: string, origin: string, fetch: typeof fetch,
 *   now: () => number, stopOnFailure: boolean, stopped: () => boolean,
 *   onResult: (r: RunResult, index: number) => void }} ctx
 * @returns {Promise<RunResult[]>}
 */
export async function run(requests, ctx) {
  /** @type {RunResult[]} */
  const results = [];
  for (const [i, req] of requests.entries()) {
    if (ctx.stopped()) break;
    const result = await runOne(req, ctx);
    results.push(result);
    ctx.onResult(result, i);
    if (ctx.stopOnFailure && result.result !== 'pass') break;
  }
  return results;
}

/**
 * One request: prepare, send, asserts, post-response variables.
 * @param {PlannedRequest} req
 * @param {{ collection: Record<string, unknown>, env: Record<string, unknown>,
 *   runtime: Record<string, unknown>, key: string, origin: string, fetch: typeof fetch,
 *   now: () => number }} ctx
 * @returns {Promise<RunResult>}
 */
export async function runOne(req, ctx) {
  const vars = scope({
    collection: ctx.collection, env: ctx.env, folder: req.folderVars,
    request: entries(req.data.vars?.req), runtime: ctx.runtime, key: ctx.key, host: ctx.origin,
  });
  const method = (req.data.http?.method || 'get').toUpperCase();
  /** @type {RunResult} */
  const base = { folder: req.folder, name: req.name, file: req.file, method, path: '', status: null, ms: null, result: 'error', asserts: [], varErrors: [] };
  const p = prepare(req.data, vars, ctx.origin, req.headers);
  if ('error' in p) return { ...base, error: p.error };
  base.path = p.path;
  /** @type {Res} */
  let res;
  try {
    res = await send(p, ctx.fetch, ctx.now);
  } catch (e) {
    return { ...base, error: `network error: ${e instanceof Error ? e.message : String(e)}` };
  }
  // Bruno runs vars:post-response before the asserts, so asserts may use them.
  const post = postResponse(mergeByName(req.resVars, req.data.vars?.res), res, vars);
  Object.assign(ctx.runtime, post.set);
  const asserts = runAssertions(req.data.assertions || [], res, { ...vars, ...post.set });
  const failed = asserts.some((a) => a.status === 'fail');
  return { ...base, status: res.status, ms: res.responseTime, result: failed ? 'fail' : 'pass', asserts, varErrors: post.errors };
}

/**
 * Counts in the shape of bru run's summary.
 * @param {RunResult[]} results
 * @param {number} planned requests that were to run
 */
export function summary(results, planned) {
  const count = (/** @type {(r: RunResult) => boolean} */ f) => results.filter(f).length;
  const asserts = results.flatMap((r) => r.asserts);
  return {
    totalRequests: planned,
    passedRequests: count((r) => r.result === 'pass'),
    failedRequests: count((r) => r.result === 'fail'),
    errorRequests: count((r) => r.result === 'error'),
    skippedRequests: planned - results.length,
    totalAssertions: asserts.length,
    passedAssertions: asserts.filter((a) => a.status === 'pass').length,
    failedAssertions: asserts.filter((a) => a.status === 'fail').length,
  };
}
