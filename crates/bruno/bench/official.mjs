// Parse throughput of Bruno's official parser (@usebruno/lang) over every .bru file under
// the given directories; the counterpart of crates/bruno/examples/parse_bench.rs, measured
// the same way (same walk, modes, rejected files left out, warm-up, ROUNDS rounds).
//
//   npm install @usebruno/lang        # in a scratch directory, e.g. /tmp/brulang
//   BRULANG_DIR=/tmp/brulang node crates/bruno/bench/official.mjs DIR...

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const ROUNDS = 5;
const dirs = process.argv.slice(2);
if (dirs.length === 0) {
  console.error('usage: node official.mjs DIR...');
  process.exit(2);
}
const seconds = Number(process.env.BENCH_SECONDS || 5);
const langDir = process.env.BRULANG_DIR || process.cwd();
const lang = createRequire(path.join(path.resolve(langDir), 'package.json'))('@usebruno/lang');

function walk(dir, out) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  // Byte order of the names, as the Rust side sorts OsStrings.
  entries.sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)));
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (!e.name.startsWith('.') && e.name !== 'node_modules') walk(p, out);
    } else if (e.isFile() && e.name.endsWith('.bru')) {
      out.push(p);
    }
  }
}

function parserFor(p) {
  const name = path.basename(p);
  const parent = path.basename(path.dirname(path.resolve(p)));
  if (name === 'collection.bru' || name === 'folder.bru') return lang.collectionBruToJson;
  if (parent === 'environments') return lang.bruToEnvJsonV2;
  return lang.bruToJsonV2;
}

const paths = [];
for (const d of dirs) walk(d, paths);
const files = [];
let rejected = 0;
for (const p of paths) {
  const text = fs.readFileSync(p, 'utf8');
  const parse = parserFor(p);
  try {
    parse(text);
    files.push([text, parse, Buffer.byteLength(text, 'utf8')]);
  } catch {
    rejected++;
  }
}
const total = files.reduce((n, f) => n + f[2], 0);
if (total === 0) {
  console.error('no parsable .bru files');
  process.exit(1);
}

let sink = 0;
function pass() {
  let bytes = 0;
  for (const [text, parse, len] of files) {
    bytes += len;
    try {
      if (parse(text)) sink++;
    } catch {
      sink--;
    }
  }
  return bytes;
}

const roundNs = BigInt(Math.round((seconds / ROUNDS) * 1e9));
const now = () => process.hrtime.bigint();
let t0 = now();
while (now() - t0 < roundNs) pass();
const rates = [];
for (let r = 0; r < ROUNDS; r++) {
  const start = now();
  let bytes = 0;
  while (now() - start < roundNs) bytes += pass();
  const secs = Number(now() - start) / 1e9;
  rates.push(bytes / secs / 1e6);
}
rates.sort((a, b) => a - b);
console.log(
  `official @usebruno/lang: ${files.length} files (${rejected} rejected), ${total} bytes, ` +
    `best ${rates[ROUNDS - 1].toFixed(2)} MB/s, median ${rates[Math.floor(ROUNDS / 2)].toFixed(2)} MB/s`
);
globalThis.benchSink = sink;
