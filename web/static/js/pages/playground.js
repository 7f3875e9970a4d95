import { initShell } from '../app.js';
initShell();
