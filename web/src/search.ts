// The search view: query box (syntax help, autocomplete, history), time
// range, volume histogram, field sidebar, results table, downloads.
import uPlot from 'uplot';
import { ApiError, get, post, qs, request } from './api';
import { openDrawer } from './drawer';
import { QUICK_RANGES, SearchState, pickInterval, readState, resolveTime, searchUrl } from './state';
import {
  eventTime, fieldValue, fmtNum, fmtTime, h, highlight, levelClass, levelOf, messageOf, queryTerms, quoteValue, show,
} from './util';

const HISTORY_KEY = 'weir.history';
const PAGE = 100;
const BASE_COLS = ['time', 'level', 'source', 'message'];
const LEVEL_COLOURS: Record<string, string> = {
  'lv-fatal': '#7b1fa2', 'lv-error': '#d32f2f', 'lv-warn': '#f9a825', 'lv-info': '#1e88e5', 'lv-debug': '#78909c',
  'lv-other': '#9e9e9e',
};

export interface Nav {
  go(url: string, replace?: boolean): void;
  error(msg: string | null): void;
}

function history(): string[] {
  try {
    return JSON.parse(localStorage.getItem(HISTORY_KEY) || '[]');
  } catch {
    return [];
  }
}
function remember(q: string) {
  if (!q.trim()) return;
  const list = [q, ...history().filter((x) => x !== q)].slice(0, 20);
  localStorage.setItem(HISTORY_KEY, JSON.stringify(list));
}

const SYNTAX_HELP = `<b>Query syntax</b> (docs/query-language.md)
<table>
<tr><td><code>timeout</code></td><td>the word anywhere in the message</td></tr>
<tr><td><code>"connection reset"</code></td><td>a phrase</td></tr>
<tr><td><code>level:error</code></td><td>a field holds the value (any case)</td></tr>
<tr><td><code>status >= 500</code></td><td>numbers compare (<code>= != &lt; &lt;= &gt; &gt;=</code>)</td></tr>
<tr><td><code>service IN (api, web)</code></td><td>one of several values</td></tr>
<tr><td><code>path LIKE "/api/%"</code></td><td>a pattern</td></tr>
<tr><td><code>trace_id EXISTS</code></td><td>the field is present</td></tr>
<tr><td><code>a AND b</code>, <code>a b</code>, <code>a OR b</code>, <code>NOT a</code>, <code>( )</code></td><td>logic</td></tr>
</table>
<p>Press <kbd>/</kbd> to focus the box, <kbd>Enter</kbd> to search, <kbd>Tab</kbd> to take a suggestion.</p>`;

export function searchView(root: HTMLElement, nav: Nav, openId: string | null) {
  let state: SearchState = readState();
  let rows: any[] = [];
  let nextCursor: string | null = null;
  let total = 0;
  let clientSort: { col: string; dir: number } | null = null;
  let controller: AbortController | null = null;
  let fieldsCache: any[] = [];
  let plot: uPlot | null = null;

  const input = h('input', {
    id: 'q', type: 'search', placeholder: 'Search logs: level:error timeout   (press / to focus)', autocomplete: 'off',
    spellcheck: 'false', 'aria-label': 'Query', value: state.q,
  }) as HTMLInputElement;
  input.value = state.q;
  const suggest = h('ul', { id: 'suggest', class: 'suggest', hidden: true });
  const help = h('div', { class: 'syntax-help', hidden: true, html: SYNTAX_HELP });
  const quick = h('select', { id: 'range', 'aria-label': 'Time range' }) as HTMLSelectElement;
  for (const [label, f, t] of QUICK_RANGES) quick.append(h('option', { value: f + '|' + t, text: label }));
  quick.append(h('option', { value: 'custom', text: 'Absolute range' }));
  const fromIn = h('input', { id: 'from', class: 'time', placeholder: 'from (all time)', 'aria-label': 'From' }) as HTMLInputElement;
  const toIn = h('input', { id: 'to', class: 'time', placeholder: 'to (now)', 'aria-label': 'To' }) as HTMLInputElement;
  const errorBox = h('div', { id: 'search-error', class: 'error-box', hidden: true });
  const summary = h('span', { id: 'summary', class: 'summary' });
  const histo = h('div', { id: 'histogram', class: 'histogram' });
  const sidebar = h('div', { id: 'fields', class: 'fields' });
  const table = h('table', { id: 'results', class: 'results' });
  const more = h('button', { id: 'more', type: 'button', hidden: true, text: 'Load more' });
  const saveName = h('input', { id: 'save-name', placeholder: 'name of this query', 'aria-label': 'Saved query name' }) as HTMLInputElement;
  const saveBox = h('form', { id: 'save-box', class: 'save-box', hidden: true }, saveName, h('button', { type: 'submit', text: 'Save' }));
  const colAdd = h('input', { id: 'col-add', placeholder: '+ column', list: 'field-names', 'aria-label': 'Add a column' }) as HTMLInputElement;
  const fieldNames = h('datalist', { id: 'field-names' });

  root.replaceChildren(
    h('section', { class: 'search' },
      h('form', { id: 'search-form', class: 'query-row', onsubmit: (e: Event) => { e.preventDefault(); submit(); } },
        h('div', { class: 'q-wrap' }, input, suggest),
        h('button', { type: 'button', class: 'ghost', title: 'Query syntax', text: '?', onclick: () => (help.hidden = !help.hidden) }),
        quick, fromIn, h('span', { text: '→' }), toIn,
        h('button', { id: 'go', type: 'submit', text: 'Search' }),
        h('button', { id: 'save', type: 'button', class: 'ghost', text: 'Save…', onclick: () => { saveBox.hidden = !saveBox.hidden; saveName.focus(); } }),
      ),
      saveBox, help, errorBox,
      histo,
      h('div', { class: 'search-body' },
        h('aside', { class: 'sidebar' }, h('h3', { text: 'Fields' }), sidebar),
        h('div', { class: 'results-wrap' },
          h('div', { class: 'results-bar' }, summary, h('span', { class: 'spacer' }), colAdd, fieldNames,
            h('button', { id: 'dl-ndjson', type: 'button', class: 'ghost', text: 'NDJSON', onclick: () => download('ndjson') }),
            h('button', { id: 'dl-csv', type: 'button', class: 'ghost', text: 'CSV', onclick: () => download('csv') }),
          ),
          table, more,
        ),
      ),
    ),
  );

  function syncRangeInputs() {
    fromIn.value = state.from;
    toIn.value = state.to;
    const key = state.from + '|' + state.to;
    quick.value = [...quick.options].some((o) => o.value === key) ? key : 'custom';
  }
  syncRangeInputs();
  quick.addEventListener('change', () => {
    if (quick.value === 'custom') {
      const f = resolveTime(state.from, false), t = resolveTime(state.to, true) ?? Date.now();
      fromIn.value = new Date(f ?? t - 36e5).toISOString();
      toIn.value = new Date(t).toISOString();
      fromIn.focus();
      return;
    }
    const [f, t] = quick.value.split('|');
    fromIn.value = f;
    toIn.value = t;
    submit();
  });

  saveBox.addEventListener('submit', async (e) => {
    e.preventDefault();
    const name = saveName.value.trim();
    if (!name) return;
    try {
      await post('/api/v1/saved-queries', { name, query: input.value, from: state.from, to: state.to, columns: state.cols });
      saveBox.hidden = true;
      flash(`Saved as “${name}”`);
    } catch (err: any) {
      showError(err);
    }
  });

  colAdd.addEventListener('change', () => {
    const c = colAdd.value.trim();
    colAdd.value = '';
    if (c && !state.cols.includes(c) && !BASE_COLS.includes(c)) {
      state.cols = [...state.cols, c];
      nav.go(searchUrl(state), true);
      renderTable();
    }
  });

  function flash(msg: string) {
    summary.textContent = msg;
  }

  function submit() {
    performance.mark('weir-search-enter');
    state = { ...state, q: input.value, from: fromIn.value.trim(), to: toIn.value.trim() };
    remember(state.q);
    hideSuggest();
    nav.go(searchUrl(state));
    run();
  }

  function showError(err: any) {
    errorBox.hidden = false;
    errorBox.replaceChildren();
    if (err instanceof ApiError && err.body && typeof err.body.position === 'number' && err.body.param === 'q') {
      const pos = err.body.position;
      errorBox.className = 'error-box syntax-error';
      errorBox.append(
        h('div', { class: 'error-title', text: 'Query error at position ' + pos + ': ' + err.message }),
        h('pre', { class: 'caret' }, state.q + '\n' + ' '.repeat(Math.max(0, pos)) + '^'),
      );
      input.focus();
      input.setSelectionRange(pos, pos);
    } else {
      errorBox.className = 'error-box';
      errorBox.append(h('div', { class: 'error-title', text: err && err.message ? err.message : String(err) }));
    }
  }

  function apiRange(): Record<string, string> {
    return { from: state.from, to: state.to };
  }

  async function run() {
    controller?.abort();
    controller = new AbortController();
    const signal = controller.signal;
    errorBox.hidden = true;
    clientSort = null;
    table.setAttribute('data-state', 'loading');
    const started = performance.now();
    const p = { q: state.q, ...apiRange(), limit: PAGE, order: state.order };
    loadHistogram(signal);
    loadFields(signal);
    try {
      const r = await get('/api/v1/logs/search' + qs(p), signal);
      rows = r.results || [];
      total = r.total ?? rows.length;
      nextCursor = r.next_cursor || null;
      renderTable();
      summary.textContent = `${fmtNum(total, 1)}${r.total_exact === false ? '+' : ''} matching · ${r.took_ms ?? '?'} ms in the store`;
      requestAnimationFrame(() => {
        performance.mark('weir-results-painted');
        const enter = performance.getEntriesByName('weir-search-enter').pop();
        const ms = performance.now() - (enter && enter.startTime >= started - 1000 ? enter.startTime : started);
        performance.clearMarks();
        (window as any).__weirLastSearch = { ms, total, rows: rows.length };
        table.setAttribute('data-state', 'done');
      });
    } catch (err: any) {
      if (err && err.name === 'AbortError') return;
      rows = [];
      renderTable();
      table.setAttribute('data-state', 'error');
      summary.textContent = '';
      showError(err);
    }
  }

  async function loadMore() {
    if (!nextCursor) return;
    try {
      const r = await get('/api/v1/logs/search' + qs({ q: state.q, ...apiRange(), limit: PAGE, order: state.order, cursor: nextCursor }));
      rows = rows.concat(r.results || []);
      nextCursor = r.next_cursor || null;
      renderTable();
    } catch (err) {
      showError(err);
    }
  }
  more.addEventListener('click', loadMore);

  function cell(e: any, col: string, terms: string[]): HTMLElement {
    if (col === 'time') return h('td', { class: 'c-time', text: fmtTime(eventTime(e)) });
    if (col === 'level') {
      const l = levelOf(e);
      return h('td', { class: 'c-level' }, l ? h('span', { class: 'lv ' + levelClass(l), text: l }) : '');
    }
    if (col === 'message') return h('td', { class: 'c-msg', html: highlight(messageOf(e).split('\n')[0], terms) });
    if (col === 'source') return h('td', { class: 'c-src', text: show(e.source ?? e.service) });
    return h('td', { class: 'c-extra', html: highlight(show(fieldValue(e, col)), terms) });
  }

  function renderTable() {
    const cols = [...BASE_COLS, ...state.cols];
    const terms = queryTerms(state.q);
    const head = h('tr', {});
    for (const c of cols) {
      const arrow = c === 'time' && !clientSort ? (state.order === 'desc' ? ' ↓' : ' ↑') : clientSort && clientSort.col === c ? (clientSort.dir > 0 ? ' ↑' : ' ↓') : '';
      const th = h('th', { 'data-col': c, title: c === 'time' ? 'Order by time (the store answers)' : 'Sort the loaded rows' }, c + arrow);
      th.addEventListener('click', () => sortBy(c));
      if (state.cols.includes(c)) {
        th.append(h('button', { class: 'col-x', type: 'button', title: 'Remove the column', text: '×', onclick: (ev: Event) => {
          ev.stopPropagation();
          state.cols = state.cols.filter((x) => x !== c);
          nav.go(searchUrl(state), true);
          renderTable();
        } }));
      }
      head.append(th);
    }
    let shown = rows;
    if (clientSort) {
      const { col, dir } = clientSort;
      const key = (e: any) => (col === 'level' ? levelOf(e) : col === 'message' ? messageOf(e) : col === 'source' ? show(e.source) : show(fieldValue(e, col)));
      shown = [...rows].sort((a, b) => dir * key(a).localeCompare(key(b), undefined, { numeric: true }));
    }
    const body = h('tbody', {});
    for (const e of shown) {
      const tr = h('tr', { class: 'row ' + levelClass(levelOf(e)), 'data-id': e._id, tabindex: '0' });
      for (const c of cols) tr.append(cell(e, c, terms));
      tr.addEventListener('click', () => openDrawer(e._id, nav));
      tr.addEventListener('keydown', (ev) => { if ((ev as KeyboardEvent).key === 'Enter') openDrawer(e._id, nav); });
      body.append(tr);
    }
    if (!shown.length) body.append(h('tr', {}, h('td', { colspan: String(cols.length), class: 'empty', text: 'No logs match in this time range.' })));
    table.replaceChildren(h('thead', {}, head), body);
    more.hidden = !nextCursor;
  }

  function sortBy(col: string) {
    if (col === 'time') {
      state.order = state.order === 'desc' ? 'asc' : 'desc';
      nav.go(searchUrl(state), true);
      run();
      return;
    }
    clientSort = clientSort && clientSort.col === col ? { col, dir: -clientSort.dir } : { col, dir: 1 };
    renderTable();
  }

  async function loadHistogram(signal: AbortSignal) {
    const now = Date.now();
    const f = resolveTime(state.from, false, now);
    const t = resolveTime(state.to, true, now) ?? now;
    const [iv, ivMs] = pickInterval(f === null ? 7 * 864e5 : Math.max(1000, t - f));
    try {
      const r = await get('/api/v1/logs/aggregate' + qs({ q: state.q, ...apiRange(), metric: 'count', group_by: 'level', interval: iv, limit: 12 }), signal);
      drawHistogram(r.results || [], f, t, ivMs, r.path);
    } catch (err: any) {
      if (err && err.name === 'AbortError') return;
      histo.replaceChildren(h('div', { class: 'muted', text: 'Volume: ' + (err.message || err) }));
    }
  }

  function drawHistogram(res: any[], f: number | null, t: number, ivMs: number, path: string) {
    const buckets = new Map<number, Map<string, number>>();
    const levels = new Map<string, number>();
    for (const r of res) {
      const lv = r.group && r.group.level != null ? String(r.group.level) : '(none)';
      levels.set(lv, (levels.get(lv) || 0) + r.count);
      const m = buckets.get(r.time_ms) || new Map();
      m.set(lv, (m.get(lv) || 0) + r.count);
      buckets.set(r.time_ms, m);
    }
    let start = f !== null ? Math.floor(f / ivMs) * ivMs : Math.min(...buckets.keys(), t);
    if (!isFinite(start)) start = t - ivMs * 60;
    const xs: number[] = [];
    for (let x = start; x <= t && xs.length < 2000; x += ivMs) xs.push(x);
    for (const k of buckets.keys()) if (!xs.includes(k)) xs.push(k);
    xs.sort((a, b) => a - b);
    const order = [...levels.keys()].sort((a, b) => rank(a) - rank(b));
    // Stacked: series i is the sum of levels i..n, drawn widest first.
    const data: number[][] = [xs.map((x) => x / 1000)];
    for (let i = 0; i < order.length; i++)
      data.push(xs.map((x) => order.slice(i).reduce((s, lv) => s + (buckets.get(x)?.get(lv) || 0), 0)));
    const width = Math.max(300, histo.clientWidth || 800);
    const opts: uPlot.Options = {
      width, height: 130,
      legend: { show: true },
      cursor: { drag: { x: true, y: false, setScale: false }, points: { show: false } },
      select: { show: true, left: 0, top: 0, width: 0, height: 0 },
      scales: { x: { time: true, range: () => [xs[0] / 1000, (xs[xs.length - 1] + ivMs) / 1000] } },
      axes: [{ space: 80 }, { size: 50, values: (_u, v) => v.map((n) => fmtNum(n, 0)) }],
      series: [{}, ...order.map((lv) => {
        const c = LEVEL_COLOURS[levelClass(lv)];
        return { label: lv, fill: c, stroke: c, width: 0, paths: uPlot.paths.bars!({ size: [0.9, 40], align: 1 }), points: { show: false } } as uPlot.Series;
      })],
      hooks: {
        setSelect: [(u: uPlot) => {
          if (u.select.width < 3) return;
          const a = u.posToVal(u.select.left, 'x') * 1000;
          const b = u.posToVal(u.select.left + u.select.width, 'x') * 1000;
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          state = { ...state, q: input.value, from: new Date(a).toISOString(), to: new Date(b).toISOString() };
          syncRangeInputs();
          performance.mark('weir-search-enter');
          nav.go(searchUrl(state));
          run();
        }],
      },
    };
    plot?.destroy();
    histo.replaceChildren();
    histo.setAttribute('data-path', path || '');
    histo.setAttribute('title', 'Drag across the chart to narrow the time range' + (path === 'rollup' ? ' (answered from rollups)' : ''));
    plot = new uPlot(opts, data as any, histo);
  }

  function rank(lv: string): number {
    const order = ['lv-fatal', 'lv-error', 'lv-warn', 'lv-info', 'lv-debug', 'lv-other'];
    return order.indexOf(levelClass(lv));
  }

  async function loadFields(signal: AbortSignal) {
    try {
      const r = await get('/api/v1/fields' + qs({ q: state.q, ...apiRange(), sample: 500, top: 5 }), signal);
      const fields = (r.fields || []).filter((f: any) => !['@timestamp', '_id', 'message'].includes(f.name));
      fieldsCache = fields;
      fieldNames.replaceChildren(...fields.map((f: any) => h('option', { value: f.name })));
      sidebar.replaceChildren(...fields.slice(0, 40).map((f: any) => fieldBlock(f, r.events_sampled)));
      if (!fields.length) sidebar.replaceChildren(h('div', { class: 'muted', text: 'No fields in these results.' }));
    } catch (err: any) {
      if (err && err.name === 'AbortError') return;
      sidebar.replaceChildren(h('div', { class: 'muted', text: err.message || String(err) }));
    }
  }

  function fieldBlock(f: any, sampled: number): HTMLElement {
    const list = h('ul', { class: 'top-values' });
    for (const v of f.top || []) {
      const value = show(v.value);
      const pct = sampled ? Math.round((100 * v.count) / sampled) : 0;
      list.append(h('li', { 'data-field': f.name, 'data-value': value },
        h('a', { href: '#', class: 'fv', title: `Add ${f.name}:${value}`, onclick: (e: Event) => { e.preventDefault(); addTerm(f.name, value, false); } },
          h('span', { class: 'fv-val', text: value || '""' }), h('span', { class: 'fv-count', text: ` ${v.count} (${pct}%)` })),
        h('button', { type: 'button', class: 'fv-not', title: `Exclude ${f.name}:${value}`, text: '−', onclick: () => addTerm(f.name, value, true) }),
      ));
    }
    const details = h('details', { class: 'field', 'data-field': f.name },
      h('summary', {}, h('span', { class: 'f-name', text: f.name }), h('span', { class: 'f-type', text: ` ${f.type} · ${f.count}` }),
        h('button', { type: 'button', class: 'f-col', title: 'Show as a column', text: '+col', onclick: (e: Event) => {
          e.preventDefault();
          if (!state.cols.includes(f.name) && !BASE_COLS.includes(f.name)) {
            state.cols = [...state.cols, f.name];
            nav.go(searchUrl(state), true);
            renderTable();
          }
        } })),
      list);
    if (['level', 'service', 'source'].includes(f.name)) details.setAttribute('open', '');
    return details;
  }

  function addTerm(field: string, value: string, negate: boolean) {
    const term = (negate ? 'NOT ' : '') + field + ':' + quoteValue(value);
    input.value = input.value.trim() ? input.value.trim() + ' ' + term : term;
    submit();
  }

  // Autocomplete: field names, then the values of the field before ':'; history when empty.
  let active = -1;
  function currentToken(): [number, string] {
    const pos = input.selectionStart ?? input.value.length;
    const before = input.value.slice(0, pos);
    const m = /[^\s()]*$/.exec(before)!;
    return [pos - m[0].length, m[0]];
  }
  function suggestions(): { label: string; insert: string; kind: string }[] {
    const [, tok] = currentToken();
    if (!input.value.trim()) return history().slice(0, 10).map((q) => ({ label: q, insert: q, kind: 'history' }));
    const colon = tok.indexOf(':');
    if (colon > 0) {
      const field = tok.slice(0, colon);
      const prefix = tok.slice(colon + 1).replace(/^"/, '').toLowerCase();
      const f = fieldsCache.find((x) => x.name === field);
      return (f?.top || [])
        .map((v: any) => show(v.value))
        .filter((v: string) => v.toLowerCase().startsWith(prefix))
        .map((v: string) => ({ label: `${field}:${v}`, insert: `${field}:${quoteValue(v)} `, kind: 'value' }));
    }
    if (!tok) return [];
    const low = tok.toLowerCase();
    return fieldsCache
      .filter((f) => f.name.toLowerCase().startsWith(low))
      .slice(0, 12)
      .map((f) => ({ label: f.name, insert: f.name + ':', kind: 'field' }));
  }
  function showSuggest() {
    const list = suggestions();
    active = -1;
    if (!list.length) return hideSuggest();
    suggest.replaceChildren(...list.map((s, i) => {
      const li = h('li', { 'data-i': String(i), class: 'sg-' + s.kind }, h('span', { text: s.label }), h('small', { text: s.kind }));
      li.addEventListener('mousedown', (e) => { e.preventDefault(); take(s); });
      return li;
    }));
    (suggest as any)._list = list;
    suggest.hidden = false;
  }
  function hideSuggest() {
    suggest.hidden = true;
    active = -1;
  }
  function take(s: { insert: string; kind: string }) {
    if (s.kind === 'history') input.value = s.insert;
    else {
      const [start] = currentToken();
      const pos = input.selectionStart ?? input.value.length;
      input.value = input.value.slice(0, start) + s.insert + input.value.slice(pos);
      const c = start + s.insert.length;
      input.setSelectionRange(c, c);
    }
    hideSuggest();
    if (s.kind === 'field') showSuggest();
    input.focus();
  }
  input.addEventListener('input', showSuggest);
  input.addEventListener('focus', showSuggest);
  input.addEventListener('blur', () => setTimeout(hideSuggest, 100));
  input.addEventListener('keydown', (e) => {
    const list = (suggest as any)._list || [];
    if (suggest.hidden || !list.length) return;
    const items = suggest.querySelectorAll('li');
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      e.preventDefault();
      active = (active + (e.key === 'ArrowDown' ? 1 : -1) + items.length) % items.length;
      items.forEach((li, i) => li.classList.toggle('active', i === active));
    } else if ((e.key === 'Tab' || (e.key === 'Enter' && active >= 0))) {
      e.preventDefault();
      take(list[Math.max(0, active)]);
    } else if (e.key === 'Escape') {
      hideSuggest();
    }
  });

  async function download(format: 'ndjson' | 'csv') {
    const fields = format === 'csv' ? [...BASE_COLS, ...state.cols].join(',') : undefined;
    try {
      const res = await request('GET', '/api/v1/logs/export' + qs({ format, q: state.q, ...apiRange(), fields, order: state.order }));
      const blob = await res.blob();
      const a = h('a', { href: URL.createObjectURL(blob), download: `weir-export.${format === 'csv' ? 'csv' : 'ndjson'}` }) as HTMLAnchorElement;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 10000);
    } catch (err) {
      showError(err);
    }
  }

  run();
  if (openId) openDrawer(openId, nav);
  return {
    focus: () => input.focus(),
    destroy: () => { controller?.abort(); plot?.destroy(); },
  };
}
