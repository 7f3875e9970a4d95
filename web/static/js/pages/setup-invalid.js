import { initTheme } from '../ui.js';

initTheme();
