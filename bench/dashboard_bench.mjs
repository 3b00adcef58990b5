#!/usr/bin/env node
// Dashboard benchmark: page weight (bytes of HTML, JS, CSS, raw and gzip) and
// the time from Enter in the query box to the first results painted (the
// page's own performance marks: 'weir-search-enter' → next animation frame
// after the table is filled), against the real daemon holding N events.
//
//   node bench/dashboard_bench.mjs [EVENTS]        # default 1,000,000
//   WEIR_BIN=build/weir RUNS=7 node bench/dashboard_bench.mjs 10000000
//
// Data: bench/gen_json_lines.py (1,000 events a second from
// 2025-11-24T13:20:00Z), ingested through a file input into the store
// (sync off), kept in bench/.cache/dashboard-<N>.ndjson. Needs web/dist
// (scripts/build-web.sh) and Debian's chromium. Prints figures; never fails
// on a timing.
import { execFileSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { spawn } from 'node:child_process';
import { Daemon, waitUntil } from '../tests/browser/daemon.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const N = Number(process.argv[2] || 1_000_000);
const RUNS = Number(process.env.RUNS || 5);
const CHROMIUM = process.env.WEIR_CHROMIUM || '/usr/bin/chromium';
process.env.WEIR_BIN = process.env.WEIR_BIN || join(root, 'build/weir');

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

// Page weight, from the files served.
const dist = join(root, 'web/dist');
if (!existsSync(join(dist, 'index.html'))) throw new Error('web/dist is not built: run scripts/build-web.sh');
let raw = 0, gz = 0;
console.log('file\tbytes\tgzip');
for (const f of readdirSync(dist).filter((f) => !f.endsWith('.map'))) {
  const b = readFileSync(join(dist, f));
  const g = gzipSync(b, { level: 6 }).length;
  raw += b.length;
  gz += g;
  console.log(`${f}\t${b.length}\t${g}`);
}
console.log(`total\t${raw}\t${gz}`);

// Data.
const cache = join(root, 'bench/.cache');
mkdirSync(cache, { recursive: true });
const data = join(cache, `dashboard-${N}.ndjson`);
if (!existsSync(data) || statSync(data).size === 0) {
  console.error(`generating ${N} events into ${data}`);
  await new Promise((ok, fail) => {
    const p = spawn('python3', [join(root, 'bench/gen_json_lines.py'), String(N)], { stdio: ['ignore', 'pipe', 'inherit'] });
    p.stdout.pipe(createWriteStream(data));
    p.on('exit', (c) => (c === 0 ? ok() : fail(new Error('generator exited ' + c))));
  });
}

const d = new Daemon({
  service: `  api:\n    static_dir: ${JSON.stringify(dist)}\n`,
  top: 'store:\n  sync: false\n',
  pipelines: {
    'bench.yaml': `inputs:\n  - type: file\n    name: bench\n    paths: [${JSON.stringify(data)}]\n    read_from_head: true\nparser:\n  type: json\noutputs:\n  - type: store\nbatch:\n  max_events: 5000\n`,
  },
});
const t0 = Date.now();
await d.start();
try {
  const stored = async () => ((await d.json('/api/v1/logs/aggregate?metric=count')).results || []).reduce((s, x) => s + x.count, 0);
  await waitUntil(async () => (await stored()) >= N,
    { timeout: 3600e3, interval: 1000, message: `${N} events stored` });
  console.log(`ingest: ${N} events searchable after ${((Date.now() - t0) / 1000).toFixed(1)} s`);

  const { chromium } = await import(pathToFileURL(join(root, 'web/node_modules/playwright-core/index.mjs')).href);
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  let transferred = 0;
  page.on('response', async (r) => {
    if (!r.url().includes('/api/')) transferred += Number((await r.allHeaders())['content-length'] || 0);
  });
  const from = '2025-11-24T13:20:00Z', to = '2025-11-25T00:00:00Z';
  const loadStart = Date.now();
  await page.goto(`${d.base}/?from=${from}&to=${to}`);
  await page.waitForSelector('#results[data-state="done"]', { timeout: 120000 });
  console.log(`first load: results painted ${Date.now() - loadStart} ms after navigation; static bytes on the wire ${transferred}`);

  const queries = ['', 'level:error', 'timeout', 'service:checkout AND latency_ms > 500', '"payment authorised"'];
  console.log('\nquery\tmedian ms (Enter → first results painted)\tmin\tmax\ttotal');
  for (const q of queries) {
    const times = [];
    let total = 0;
    for (let i = 0; i < RUNS + 1; i++) {
      await page.fill('#q', q);
      await page.evaluate(() => { delete window.__weirLastSearch; document.getElementById('results').removeAttribute('data-state'); });
      await page.press('#q', 'Enter');
      await page.waitForFunction(() => window.__weirLastSearch, null, { timeout: 120000 });
      const r = await page.evaluate(() => window.__weirLastSearch);
      total = r.total;
      if (i > 0) times.push(r.ms); // the first run warms the caches
    }
    console.log(`${q || '(everything)'}\t${median(times).toFixed(1)}\t${Math.min(...times).toFixed(1)}\t${Math.max(...times).toFixed(1)}\t${total}`);
  }
  await browser.close();
  // Searches the page gave up on (a new Enter aborts the previous requests):
  // stopped by the server instead of running to the end.
  const metrics = await (await d.fetch('/metrics')).text();
  const abandoned = metrics.split('\n').filter((l) => l.startsWith('weir_api_requests_abandoned_total{'));
  console.log('\nrequests abandoned by the page and stopped early:' + (abandoned.length ? '\n' + abandoned.join('\n') : ' none'));
} finally {
  await d.stop();
}
void execFileSync;
