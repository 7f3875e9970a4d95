// @ts-check
// The Runner mode of the playground: pick a folder or the whole collection, run it with
// playground/runner.js, watch each request land in the results table (status, time,
// asserts passed/failed; a row opens its asserts), stop on the first failure or run all,
// read the summary and export the results as JSON (paths only: no key, no bodies).
import { toast } from '../ui.js';
import { $, el } from '../dom.js';
import { run, summary } from './runner.js';

/** @import { PlannedRequest, RunResult } from './runner.js' */

/**
 * @param {{ folders: Array<{ name: string, requests: PlannedRequest[] }>,
 *   context: () => { collection: Record<string, unknown>, env: Record<string, unknown>,
 *     runtime: Record<string, unknown>, key: string, origin: string },
 *   environment: () => string, onVars: () => void }} opts
 */
export function initRunPanel({ folders, context, environment, onVars }) {
  const scopeSelect = $('run-scope', HTMLSelectElement);
  const start = $('run-start', HTMLButtonElement);
  const cancel = $('run-cancel', HTMLButtonElement);
  const exportButton = $('run-export', HTMLButtonElement);
  const stopBox = $('run-stop', HTMLInputElement);
  const rows = $('run-rows');
  const summaryLine = $('run-summary');
  for (const f of folders) if (f.name) scopeSelect.append(el('option', { value: f.name }, f.name));

  /** @type {{ running: boolean, stopped: boolean, last: object | null }} */
  const state = { running: false, stopped: false, last: null };

  /** @param {string} result */
  const pill = (result) => el('span', { class: `pg-${result === 'error' ? 'errored' : result}`, 'data-result': result }, result);

  /**
   * @param {HTMLElement} row
   * @param {RunResult} r
   */
  function fill(row, r) {
    const passed = r.asserts.filter((a) => a.status === 'pass').length;
    const cells = row.children;
    cells[2]?.replaceChildren(r.status === null ? '–' : String(r.status));
    cells[3]?.replaceChildren(r.ms === null ? '–' : `${r.ms} ms`);
    cells[4]?.replaceChildren(r.asserts.length ? `${passed}/${r.asserts.length}` : '–');
    cells[5]?.replaceChildren(pill(r.result));
    row.dataset.result = r.result;
    const details = el('tr', { class: 'pg-run-detail', hidden: true }, el('td', { colSpan: 6 },
      r.error ? el('div', 'pg-why', r.error) : null,
      r.varErrors.length ? el('div', 'pg-why', `vars:post-response: ${r.varErrors.join('; ')}`) : null,
      el('ul', 'pg-asserts', ...r.asserts.map((a) => el('li', { 'data-status': a.status },
        el('span', a.status === 'pass' ? 'pg-pass' : 'pg-fail', a.status),
        el('code', '', `${a.name}: ${a.value}`),
        a.status === 'fail' ? el('span', 'pg-why', `${a.error || ''}${a.actual ? ` (actual ${a.actual})` : ''}`) : null)))));
    row.after(details);
    row.addEventListener('click', () => { details.hidden = !details.hidden; });
  }

  start.addEventListener('click', async () => {
    if (state.running) return;
    const chosen = scopeSelect.value;
    const requests = folders.filter((f) => !chosen || f.name === chosen).flatMap((f) => f.requests);
    state.running = true;
    state.stopped = false;
    start.disabled = true;
    cancel.disabled = false;
    exportButton.disabled = true;
    rows.replaceChildren(...requests.map((r, i) => el('tr', { class: 'pg-run-row', 'data-file': r.file },
      el('td', '', String(i + 1)), el('td', '', r.file), el('td', '', '–'), el('td', '', '–'), el('td', '', '–'),
      el('td', '', el('span', 'pg-pending', 'pending')))));
    summaryLine.textContent = `Running ${requests.length} requests…`;
    const startedAt = new Date().toISOString();
    const ctx = context();
    /** @type {RunResult[]} */
    let results = [];
    try {
      results = await run(requests, {
        ...ctx, fetch: fetch.bind(window), now: () => performance.now(), stopOnFailure: stopBox.checked,
        stopped: () => state.stopped,
        onResult: (r, i) => {
          const row = /** @type {HTMLElement | undefined} */ (rows.querySelectorAll('tr.pg-run-row')[i]);
          if (row) fill(row, r);
          onVars();
        },
      });
    } catch (e) {
      toast(`The run stopped: ${e instanceof Error ? e.message : String(e)}`, 'error');
    }
    const s = summary(results, requests.length);
    summaryLine.textContent = `${s.totalRequests} requests: ${s.passedRequests} passed, ${s.failedRequests} failed, `
      + `${s.errorRequests} errors, ${s.skippedRequests} not run · assertions ${s.passedAssertions}/${s.totalAssertions} passed`;
    summaryLine.dataset.done = s.passedRequests === s.totalRequests ? 'pass' : 'fail';
    state.last = {
      startedAt, finishedAt: new Date().toISOString(), scope: chosen || 'collection',
      environment: environment() || null, stopOnFailure: stopBox.checked, summary: s, results,
    };
    state.running = false;
    start.disabled = false;
    cancel.disabled = true;
    exportButton.disabled = false;
  });

  cancel.addEventListener('click', () => { state.stopped = true; });

  exportButton.addEventListener('click', () => {
    if (!state.last) return;
    // Nothing in the results should hold the key; it is scrubbed all the same.
    const key = context().key;
    const text = JSON.stringify(state.last, null, 2);
    const blob = new Blob([`${key ? text.split(key).join('********') : text}\n`], { type: 'application/json' });
    const a = el('a', { href: URL.createObjectURL(blob), download: 'algogate-run.json' });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 0);
  });
}
