#!/usr/bin/env node
// Prints the built page's sizes, gzipped: the initial JavaScript (what index.html loads and
// everything it imports statically), and what loads on demand (pages, charts, the worker, each
// backend, the .wasm files, the digits data). Fails when the initial JavaScript exceeds the
// budget. Writes dist/bundle-sizes.json.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const BUDGET_KB = 300;
const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist');
const assets = path.join(dist, 'assets');
const gzipKb = (file) => gzipSync(readFileSync(file), { level: 9 }).length / 1024;
const rawKb = (file) => readFileSync(file).length / 1024;

// Static imports only: `import"./x.js"`, `from"./x.js"` (dynamic ones are `import("./x.js")`).
function staticImports(file) {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:\bfrom|\bimport)\s*["'](\.\/[^"']+\.js)["']/g)].map((m) =>
    path.join(path.dirname(file), m[1]),
  );
}

const html = readFileSync(path.join(dist, 'index.html'), 'utf8');
const entries = [...html.matchAll(/(?:src|href)="\.?\/?(assets\/[^"]+\.(?:js|css))"/g)].map((m) =>
  path.join(dist, m[1]),
);
const initial = new Set();
const visit = (file) => {
  if (initial.has(file)) return;
  initial.add(file);
  if (file.endsWith('.js')) staticImports(file).forEach(visit);
};
entries.forEach(visit);

const groupOf = (name) => {
  if (/^worker-/.test(name)) return 'worker (core, data, training)';
  if (/\.wasm$/.test(name)) return 'WebAssembly binaries (one is fetched)';
  if (/^digits\.csv/.test(name)) return 'digits data';
  if (/^uplot/.test(name)) return 'charts (uPlot)';
  if (/^(playground|digits|function|backends|page|training-page|notice)-/.test(name)) return 'pages';
  return 'backends (tfjs-core, WebGPU, WebAssembly, CPU reference)';
};
const rows = readdirSync(assets).map((name) => {
  const file = path.join(assets, name);
  return { name, group: initial.has(file) ? 'initial' : groupOf(name), raw: rawKb(file), gzip: gzipKb(file) };
});
const initialJs = rows.filter((r) => r.group === 'initial' && r.name.endsWith('.js'));
const initialJsGzip = initialJs.reduce((total, r) => total + r.gzip, 0);
const groups = {};
for (const r of rows) {
  groups[r.group] ??= { raw: 0, gzip: 0, files: [] };
  groups[r.group].raw += r.raw;
  groups[r.group].gzip += r.gzip;
  groups[r.group].files.push(r.name);
}
const round = (v) => Math.round(v * 10) / 10;
console.log('\nbundle sizes (KB; gzip -9):');
for (const [group, g] of Object.entries(groups))
  console.log(
    `  ${group.padEnd(58)} ${String(round(g.raw)).padStart(8)} raw ${String(round(g.gzip)).padStart(8)} gzip`,
  );
console.log(`  initial JavaScript: ${round(initialJsGzip)} KB gzipped (budget ${BUDGET_KB} KB)\n`);
writeFileSync(
  path.join(dist, 'bundle-sizes.json'),
  `${JSON.stringify({ budgetKb: BUDGET_KB, initialJsGzipKb: round(initialJsGzip), groups: Object.fromEntries(Object.entries(groups).map(([k, g]) => [k, { rawKb: round(g.raw), gzipKb: round(g.gzip), files: g.files }])) }, null, 2)}\n`,
);
if (initialJsGzip > BUDGET_KB) {
  console.error(`the initial JavaScript is ${round(initialJsGzip)} KB gzipped, over the ${BUDGET_KB} KB budget`);
  process.exit(1);
}
