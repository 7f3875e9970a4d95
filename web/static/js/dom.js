// @ts-check
// DOM helpers shared by the pages: element lookup and creation, text, tables, and the
// formatting they display. Data reaches the DOM only as text (textContent or text nodes),
// never as HTML.

/**
 * The element with this id, checked to be a `type` (HTMLElement when omitted). A page's
 * ids are fixed in its HTML, so a missing or different element is a bug: it throws.
 * @template {HTMLElement} [T=HTMLElement]
 * @param {string} id
 * @param {{ new (): T, prototype: T }} [type]
 * @returns {T}
 */
export function $(id, type) {
  const e = document.getElementById(id);
  if (!e) throw new Error(`No element #${id}`);
  if (!(e instanceof (type || HTMLElement))) throw new TypeError(`#${id} is not a ${(type || HTMLElement).name}`);
  return /** @type {T} */ (e);
}

/**
 * The HTML elements that match a CSS selector, in document order.
 * @param {string} selector
 * @returns {HTMLElement[]}
 */
export function $$(selector) {
  return [...document.querySelectorAll(selector)].filter((e) => e instanceof HTMLElement);
}

/**
 * Attributes for {@link el}: `class` is the class name; `role` and the keys with a dash
 * (`data-testid`, `aria-label`) are set as attributes; any other key is set as a property
 * (`type`, `title`, `id`, `value`...). null and undefined values are skipped.
 * @typedef {Record<string, string | number | boolean | null | undefined>} Attrs
 */

/** @typedef {Node | string | number | null | undefined} Child */

/**
 * A new element with a class name (or attributes) and children; strings and numbers are
 * appended as text, null, undefined and '' are skipped.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {string | Attrs} [attrs] a class name ('' for none), or attributes
 * @param {...Child} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, attrs = '', ...children) {
  const e = document.createElement(tag);
  if (typeof attrs === 'string') {
    if (attrs) e.className = attrs;
  } else {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null) continue;
      if (k === 'class') e.className = String(v);
      else if (k === 'role' || k.includes('-')) e.setAttribute(k, String(v));
      else Object.assign(e, { [k]: v });
    }
  }
  for (const c of children) {
    if (c === null || c === undefined || c === '') continue;
    e.append(c instanceof Node ? c : String(c));
  }
  return e;
}

/**
 * Sets an element's text (given by id or itself).
 * @param {string | HTMLElement} target
 * @param {string | number} text
 */
export function setText(target, text) {
  (typeof target === 'string' ? $(target) : target).textContent = String(text);
}

/**
 * Shows a message in `box`, or hides the box when the message is empty.
 * @param {HTMLElement} box
 * @param {string} text
 */
export function showMessage(box, text) {
  box.textContent = text;
  box.hidden = !text;
}

// ---- tables and lists ----------------------------------------------------------------

/**
 * A table cell holding `text`.
 * @param {string | number | null | undefined} text
 * @param {string} [cls]
 */
export function cell(text, cls = '') {
  return el('td', cls, text);
}

/**
 * A small button for a table row (`btn btn-small` and `cls`).
 * @param {string} label
 * @param {string} cls
 * @param {(ev: MouseEvent) => void} onClick
 */
export function rowButton(label, cls, onClick) {
  const b = el('button', { type: 'button', class: `btn btn-small ${cls}` }, label);
  b.addEventListener('click', onClick);
  return b;
}

/**
 * Puts `rows` into the table's body; the table shows when there are rows, the element
 * `emptyId` (its "nothing here" note) when there are none.
 * @param {string} tableId
 * @param {HTMLTableRowElement[]} rows
 * @param {string} emptyId
 */
export function fillTable(tableId, rows, emptyId) {
  const table = $(tableId, HTMLTableElement);
  const body = table.tBodies.item(0);
  if (!body) throw new Error(`#${tableId} has no tbody`);
  body.replaceChildren(...rows);
  table.hidden = rows.length === 0;
  $(emptyId).hidden = rows.length > 0;
}

/**
 * Fills a `<dl>` with a term and a description per item; the optional third element gives
 * the description's class name or attributes.
 * @param {string} dlId
 * @param {Array<[string, string | number, (string | Attrs)?]>} items
 */
export function fillDefinitions(dlId, items) {
  $(dlId).replaceChildren(...items.flatMap(([term, desc, attrs]) => [el('dt', '', term), el('dd', attrs, String(desc))]));
}

// ---- formatting ----------------------------------------------------------------------

/**
 * JSON with two-space indentation.
 * @param {unknown} value
 */
export function pretty(value) {
  return JSON.stringify(value, null, 2);
}

/**
 * A time in milliseconds since the epoch in the browser's locale; '' for none.
 * @param {number | null | undefined} ms
 */
export function dateTime(ms) {
  return ms == null ? '' : new Date(ms).toLocaleString();
}
