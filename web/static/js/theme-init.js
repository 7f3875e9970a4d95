// @ts-check
// Runs before first paint (classic script in <head>): apply the saved or preferred theme.
(function () {
  var saved = null;
  try { saved = localStorage.getItem('algogate-theme'); } catch (e) { /* storage blocked */ }
  var dark = saved ? saved === 'dark'
    : window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches;
  document.documentElement.setAttribute('data-theme', dark ? 'dark' : 'light');
})();
