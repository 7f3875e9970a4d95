// Shell of the logged-in layout: theme, navigation, who am I, logout.
import { initNav, initTheme, toast } from './ui.js';
import { postJson } from './api.js';

export function initShell({ username } = {}) {
  initTheme();
  initNav();
  const who = document.getElementById('whoami');
  if (who && username) who.textContent = username;
  const logout = document.getElementById('logout');
  if (logout) {
    logout.addEventListener('click', async () => {
      try {
        const r = await postJson('/auth/logout');
        location.assign(r.redirect || '/login');
      } catch (e) {
        toast(e.message, 'error');
      }
    });
  }
}
