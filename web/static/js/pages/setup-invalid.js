// @ts-check
import { initTheme } from '../ui.js';

initTheme();
