// The shared assert cases checked against Bruno itself: the assert runtime of the pinned
// @usebruno/cli (tools/bru, installed by e2e/run.sh) in its default "safe" QuickJS mode,
// and @usebruno/common's interpolate. Keeps cases.mjs (and so the page) true to Bruno.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { interpolate } from '../../web/static/js/playground/vars.js';
import { CASES, RESPONSE, VARS } from './cases.mjs';

const tools = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../tools/bru/package.json');
const require = createRequire(tools);

test("Bruno's assert runtime agrees with every shared case", async () => {
  const { AssertRuntime } = require('@usebruno/js');
  await require('@usebruno/js/src/sandbox/quickjs/index.js').loader();
  const runtime = new AssertRuntime({ runtime: 'quickjs' });
  const response = { ...RESPONSE, data: RESPONSE.body };
  const wrong = [];
  for (const [name, value, passes] of CASES) {
    const [r] = runtime.runAssertions([{ name, value, enabled: true }], { url: 'http://127.0.0.1/' }, response, {}, { ...VARS }, {});
    if ((r.status === 'pass') !== passes) wrong.push(`${name}: ${value} → Bruno says ${r.status} ${r.error ?? ''}`);
  }
  assert.deepEqual(wrong, []);
});

test("interpolate agrees with @usebruno/common's", () => {
  const { interpolate: bruno } = require('@usebruno/common');
  const vars = { a: '{{b}}', b: 'x', c: { k: [1, 2] }, 'd.e': 'dotted', x: '{{y}}', y: '{{x}}', n: 5 };
  for (const s of ['{{a}}-{{b}}', '{{c}}', '{{c.k[1]}}', '{{d.e}}', '{{x}}', '{{ a }}', '{{missing}}', '{{n}}{{n}}', 'plain', '{{a}}{{a}}{{b}}']) {
    assert.equal(interpolate(s, vars), bruno(s, vars), s);
  }
});
