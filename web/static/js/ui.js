// @ts-check
// Shared UI pieces: theme toggle, toasts, confirmation dialog, clipboard, navigation.
import { $, el } from './dom.js';

export function initTheme() {
  const btn = document.getElementById('theme-toggle');
  if (!btn) return;
  btn.addEventListener('click', () => {
    const root = document.documentElement;
    const next = root.getAttribute('data-theme') === 'dark' ? 'light' : 'dark';
    root.setAttribute('data-theme', next);
    try { localStorage.setItem('algogate-theme', next); } catch { /* storage blocked */ }
  });
}

/**
 * A message in the corner for `ms` milliseconds.
 * @param {string} message
 * @param {'info' | 'success' | 'error'} [kind]
 * @param {number} [ms]
 */
export function toast(message, kind = 'info', ms = 3500) {
  const box = document.getElementById('toasts');
  if (!box) return;
  const t = el('div', `toast ${kind}`, message);
  box.append(t);
  setTimeout(() => t.remove(), ms);
}

/**
 * Resolves true when the user confirms.
 * @param {{ title: string, body: string, confirmLabel?: string }} what
 * @returns {Promise<boolean>}
 */
export function confirmDialog({ title, body, confirmLabel = 'Confirm' }) {
  const dlg = $('confirm-dialog', HTMLDialogElement);
  $('confirm-title').textContent = title;
  $('confirm-body').textContent = body;
  $('confirm-ok').textContent = confirmLabel;
  return new Promise((resolve) => {
    dlg.addEventListener('close', () => resolve(dlg.returnValue === 'confirm'), { once: true });
    dlg.returnValue = '';
    dlg.showModal();
  });
}

/**
 * Copies `text` to the clipboard and says so in a toast; resolves whether it worked.
 * @param {string} text
 * @param {string} done the toast when it worked
 * @param {string} [failed] the toast when the browser refused
 */
export async function copyText(text, done, failed = 'Copy failed: the browser refused clipboard access') {
  try {
    await navigator.clipboard.writeText(text);
    toast(done, 'success');
    return true;
  } catch {
    toast(failed, 'error');
    return false;
  }
}

export function initNav() {
  for (const a of document.querySelectorAll('.nav a')) {
    if (a.getAttribute('href') === location.pathname) a.setAttribute('aria-current', 'page');
  }
  const toggle = document.querySelector('.nav-toggle');
  const nav = document.getElementById('nav');
  if (toggle && nav) {
    toggle.addEventListener('click', () => {
      const open = nav.classList.toggle('open');
      toggle.setAttribute('aria-expanded', String(open));
    });
  }
}
