// The dashboard end to end: headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core) against the real daemon serving web/dist, with
// a token, seeded through a file input into the store. Screenshots of each
// view go to <build dir>/browser-artifacts/.
//
// Run: node --test tests/browser/ (WEIR_BIN=build/weir), or ctest -R browser.
import { test, before, after, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Daemon, waitUntil } from './daemon.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const SOURCE = process.env.WEIR_SOURCE_DIR || resolve(here, '../..');
const BUILD = process.env.WEIR_BUILD_DIR || join(SOURCE, 'build');
const ARTIFACTS = join(BUILD, 'browser-artifacts');
const CHROMIUM = process.env.WEIR_CHROMIUM || '/usr/bin/chromium';
const TOKEN = 'dash-admin-secret';
const READ_TOKEN = 'dash-viewer-secret';
const N = 3000;

const LEVELS = ['INFO', 'INFO', 'INFO', 'WARN', 'ERROR', 'DEBUG'];
const SERVICES = ['checkout', 'payment', 'auth', 'search'];
const STACK = [
  'java.lang.IllegalStateException: payment gateway refused the card token',
  '\tat com.example.pay.Gateway.charge(Gateway.java:214)',
  '\tat com.example.pay.CheckoutService.pay(CheckoutService.java:88)',
  '\tat java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:1136)',
  'Caused by: java.net.SocketTimeoutException: Read timed out',
  '\tat java.base/java.net.SocketInputStream.socketRead0(Native Method)',
  '\t... 12 more',
].join('\n');

let daemon, browser, page, logFile, chromium;
const seededAt = Date.now();

function seed() {
  const lines = [];
  for (let i = 0; i < N; i++) {
    const t = new Date(seededAt - 50 * 60 * 1000 + Math.floor((i * 49 * 60 * 1000) / N));
    const service = SERVICES[i % SERVICES.length];
    const level = LEVELS[i % LEVELS.length];
    const e = {
      timestamp: t.toISOString(), level, service, source: `/var/log/${service}.log`,
      request_id: `req-${Math.floor(i / 3)}`, status: level === 'ERROR' ? 500 : 200, latency_ms: (i * 37) % 900,
      message: `${service} handled order ${i} in ${(i * 37) % 900} ms`,
    };
    if (i === 1234) e.message = 'checkout saw a zebrafish in the basket';
    if (i === 2001) {
      e.level = 'ERROR';
      e.message = 'payment failed: IllegalStateException';
      e.stack_trace = STACK;
      e.request_id = 'req-stack-1';
    }
    lines.push(JSON.stringify(e));
  }
  // Two more of the same request, so related logs have something to show.
  for (const k of [1, 2]) {
    lines.push(JSON.stringify({ timestamp: new Date(seededAt - 60000 + k).toISOString(), level: 'INFO', service: 'payment', source: '/var/log/payment.log', request_id: 'req-stack-1', message: `retrying payment attempt ${k}` }));
  }
  writeFileSync(logFile, lines.join('\n') + '\n');
  return lines.length;
}

async function login(p = page) {
  await p.waitForSelector('#login:not([hidden])', { timeout: 15000 });
  await p.fill('#login-token', TOKEN);
  await p.press('#login-token', 'Enter');
  await p.waitForSelector('#login', { state: 'hidden' });
}

/// Opens a URL of the dashboard, answering the token prompt when it comes.
async function open(path) {
  await page.goto(daemon.base + path);
  await page.waitForSelector('#login:not([hidden]), #view > section', { timeout: 15000 });
  if (await page.isVisible('#login')) await login();
}

async function searchDone(p = page) {
  await p.waitForSelector('#results[data-state="done"], #results[data-state="error"]', { timeout: 20000 });
}

async function runQuery(q) {
  await page.fill('#q', q);
  await page.evaluate(() => document.getElementById('results').removeAttribute('data-state'));
  await page.press('#q', 'Enter');
  await searchDone();
}

async function shot(name) {
  await page.screenshot({ path: join(ARTIFACTS, name + '.png'), fullPage: true });
}

/// The exact number of events matching q in the range (aggregate count, no interval).
async function count(q = '', range = '') {
  const r = await daemon.json('/api/v1/logs/aggregate?metric=count&q=' + encodeURIComponent(q) + range, { token: TOKEN });
  return (r.results || []).reduce((s, x) => s + x.count, 0);
}

before(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM}: install Debian's chromium (scripts/deps.sh does) or set WEIR_CHROMIUM`);
  const pw = join(SOURCE, 'web/node_modules/playwright-core/index.mjs');
  if (!existsSync(pw)) throw new Error(`no ${pw}: run scripts/build-web.sh (npm ci in web/) first`);
  if (!existsSync(join(SOURCE, 'web/dist/index.html'))) execFileSync('node', [join(SOURCE, 'web/build.mjs')], { stdio: 'inherit' });
  ({ chromium } = await import(pathToFileURL(pw).href));
  mkdirSync(ARTIFACTS, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'weir-browser-logs-'));
  logFile = join(work, 'app.log');
  const seeded = seed();
  const countAll = () => count();
  const sha = (t) => createHash('sha256').update(t).digest('hex');
  daemon = new Daemon({
    service: `  api:\n    tokens_file: tokens.yaml\n    static_dir: ${JSON.stringify(join(SOURCE, 'web/dist'))}\n`,
    top: 'store:\n  block_events: 512\n  sync: false\n',
    pipelines: {
      'app.yaml': `inputs:\n  - type: file\n    name: app\n    paths: [${JSON.stringify(logFile)}]\n    read_from_head: true\nparser:\n  type: json\noutputs:\n  - type: store\nbatch:\n  max_events: 500\n`,
    },
  });
  writeFileSync(join(daemon.dir, 'tokens.yaml'),
    `keys:\n  - sha256: ${sha(TOKEN)}\n    scopes: [read, admin]\n  - sha256: ${sha(READ_TOKEN)}\n    scopes: [read]\n`);
  await daemon.start();
  await waitUntil(async () => (await countAll()) === seeded, { timeout: 60000, message: `${seeded} events searchable` });
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (e) => console.error('page error:', e.message));
});

// A failing test leaves a screenshot of the page as it was.
afterEach(async (t) => {
  if (page && !page.isClosed()) await page.screenshot({ path: join(ARTIFACTS, 'last.png'), fullPage: true }).catch(() => {});
});

after(async () => {
  await browser?.close();
  await daemon?.stop();
});

test('the token prompt appears, and search finds a seeded line with its words highlighted', async () => {
  await page.goto(daemon.base + '/');
  await login();
  await searchDone();
  await page.locator('#summary').click();
  await page.keyboard.press('/');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'q', '/ focuses the query box');
  await runQuery('zebrafish');
  const rows = page.locator('#results tbody tr.row');
  assert.equal(await rows.count(), 1);
  assert.match(await rows.first().innerText(), /checkout saw a zebrafish in the basket/);
  assert.equal(await page.locator('#results mark').first().innerText(), 'zebrafish');
  assert.match(page.url(), /q=zebrafish/);
  await shot('search');
});

test('clicking a field value narrows the results', async () => {
  await runQuery('');
  const all = await count('', '&from=now-1h&to=now');
  const value = page.locator('#fields li[data-field="service"][data-value="payment"] a.fv');
  await value.waitFor({ timeout: 15000 });
  await page.evaluate(() => document.getElementById('results').removeAttribute('data-state'));
  await value.click();
  await searchDone();
  assert.equal(await page.inputValue('#q'), 'service:payment');
  assert.match(decodeURIComponent(page.url()), /q=service:payment/);
  const part = await count('service:payment', '&from=now-1h&to=now');
  assert.ok(part > 0 && part < all, `payment (${part}) is a part of all (${all})`);
  const shown = await daemon.json('/api/v1/logs/search?limit=100&order=desc&q=service:payment&from=now-1h&to=now', { token: TOKEN });
  assert.match(await page.innerText('#summary'), new RegExp('^' + shown.total + (shown.total_exact === false ? '\\+' : '') + ' matching'));
  const sources = await page.locator('#results tbody tr.row td.c-src').allInnerTexts();
  assert.ok(sources.length > 0 && sources.every((s) => s === '/var/log/payment.log'), 'every row is of the payment service');
});

test('a syntax error shows its position under the query', async () => {
  const bad = 'level:error AND (status >= ';
  const api = await daemon.fetch('/api/v1/logs/search?q=' + encodeURIComponent(bad), { token: TOKEN });
  assert.equal(api.status, 400);
  const body = await api.json();
  await runQuery(bad);
  const box = page.locator('#search-error.syntax-error');
  await box.waitFor();
  const text = await box.innerText();
  assert.match(text, new RegExp('position ' + body.position));
  const caret = await page.innerText('#search-error pre.caret');
  assert.equal(caret.split('\n')[1].indexOf('^'), body.position);
  await shot('syntax-error');
});

test('dragging across the histogram narrows the time range', async () => {
  await open('/?from=now-1h&to=now');
  await searchDone();
  const over = page.locator('#histogram .u-over');
  await over.waitFor();
  const before = page.url();
  const box = await over.boundingBox();
  await page.evaluate(() => document.getElementById('results').removeAttribute('data-state'));
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2, { steps: 8 });
  await page.mouse.up();
  await waitUntil(() => page.url() !== before && /from=\d{4}-/.test(decodeURIComponent(page.url())), { message: 'an absolute range in the URL' });
  await searchDone();
  const u = new URL(page.url());
  const from = Date.parse(u.searchParams.get('from')), to = Date.parse(u.searchParams.get('to'));
  assert.ok(to > from && to - from < 0.5 * 3600e3, `narrowed to ${u.searchParams.get('from')} .. ${u.searchParams.get('to')}`);
  assert.equal(await page.inputValue('#from'), u.searchParams.get('from'));
  const narrowed = await count('', `&from=${u.searchParams.get('from')}&to=${u.searchParams.get('to')}`);
  assert.ok(narrowed > 0 && narrowed < N, `fewer events in the narrowed range (${narrowed})`);
  await shot('histogram-narrowed');
});

test('details show the stack trace, and the permalink opens the same log', async () => {
  await open('/?q=IllegalStateException&from=now-1h&to=now');
  await searchDone();
  await page.locator('#results tbody tr.row').first().click();
  const drawer = page.locator('#drawer');
  await drawer.locator('.stacktrace').waitFor();
  assert.match(await drawer.locator('.stacktrace .st-head').first().innerText(), /IllegalStateException/);
  assert.ok((await drawer.locator('.stacktrace .st-frame').count()) >= 4);
  assert.match(await drawer.locator('.stacktrace .st-cause').innerText(), /Caused by: java.net.SocketTimeoutException/);
  await waitUntil(async () => (await drawer.locator('#related .ctx-line').count()) >= 2, { message: 'related logs' });
  await waitUntil(async () => (await drawer.locator('#context .ctx-line.anchor').count()) === 1, { message: 'surrounding lines' });
  const href = await page.getAttribute('#permalink', 'href');
  const id = decodeURIComponent(href.split('/log/')[1]);
  await shot('details');
  await page.keyboard.press('Escape');
  await drawer.waitFor({ state: 'hidden' });
  await page.goto(href);
  await drawer.locator('.stacktrace').waitFor();
  assert.equal(decodeURIComponent((await page.getAttribute('#permalink', 'href')).split('/log/')[1]), id);
  assert.match(await drawer.locator('pre.message').innerText(), /payment failed: IllegalStateException/);
});

test('live tail shows a line appended to the file after the page opened', async () => {
  await open('/tail');
  await page.waitForFunction(() => document.getElementById('tail-status')?.textContent === 'live', null, { timeout: 20000 });
  const marker = 'tailmarker' + Date.now();
  const t0 = Date.now();
  appendFileSync(logFile, JSON.stringify({ timestamp: new Date().toISOString(), level: 'WARN', service: 'auth', message: `fresh line ${marker}` }) + '\n');
  await page.locator('#tail-lines .tail-line', { hasText: marker }).waitFor({ timeout: 10000 });
  console.log(`live tail: the appended line was shown ${Date.now() - t0} ms after the write`);
  await shot('tail');
});

test('the overview updates from the live counters', async () => {
  await open('/overview');
  await page.locator('#tile-events').waitFor({ timeout: 10000 });
  await page.locator('#rate-chart .u-over').waitFor();
  await shot('overview');
});

test('the pipelines page shows the stages and a reload', async () => {
  await open('/pipelines');
  const p = page.locator('.pipeline[data-pipeline]');
  await p.first().waitFor({ timeout: 10000 });
  assert.ok((await page.locator('.pipeline table.stages tr[data-stage]').count()) >= 2, 'input and output stages');
  assert.ok((await page.locator('#plugins tr').count()) > 3, 'loaded plugins');
  await page.click('#reload');
  await page.locator('#reload-result.ok').waitFor({ timeout: 30000 });
  assert.match(await page.innerText('#reload-result'), /Reload: success/);
  await waitUntil(async () => /success/.test(await page.innerText('#last-reload')), { message: 'the last reload on the page' });
  await shot('pipelines');
});

test('the alerts page renders the rule states', async () => {
  await open('/alerts');
  await page.locator('#alert-groups .card').first().waitFor();
  assert.match(await page.innerText('#alert-groups'), /No alert rules/);
  await shot('alerts');
});

test('a saved query survives a daemon restart and opens from its link', async () => {
  await open('/?q=' + encodeURIComponent('level:error service:payment') + '&from=now-1h&to=now&cols=request_id');
  await searchDone();
  await page.click('#save');
  await page.fill('#save-name', 'payment errors');
  await page.press('#save-name', 'Enter');
  await page.waitForFunction(() => /Saved as/.test(document.getElementById('summary').textContent));
  await daemon.stop();
  await daemon.start();
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(daemon.base + '/saved');
  await login();
  const row = page.locator('#saved tr.saved-row', { hasText: 'payment errors' });
  await row.waitFor();
  await shot('saved');
  const id = await row.getAttribute('data-id');
  await page.goto(daemon.base + '/saved/' + id);
  await page.waitForURL(/q=/);
  await searchDone();
  assert.equal(await page.inputValue('#q'), 'level:error service:payment');
  assert.match(await page.innerText('#results thead'), /request_id/);
  const rows = await page.locator('#results tbody tr.row td.c-src').allInnerTexts();
  assert.ok(rows.length > 0 && rows.every((s) => s === '/var/log/payment.log'));
});

test('a daemon whose dashboard is not built says how to build it', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'weir-nodist-'));
  const d = new Daemon({ service: `  api:\n    static_dir: ${JSON.stringify(empty)}\n` });
  await d.start();
  try {
    const r = await d.fetch('/search');
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /text\/html/);
    assert.match(await r.text(), /dashboard is not built[\s\S]*scripts\/build-web\.sh/);
    assert.equal((await d.fetch('/app.js')).status, 404);
    assert.equal((await d.fetch('/api/v1/nothing')).status, 404);
  } finally {
    await d.stop();
  }
});
