// Overview: ingest and error rates, counts by level and source, latency
// percentiles (from /api/v1/stats/live, every second) and the top errors
// (message templates of error logs over the last hour, from the rollups).
import uPlot from 'uplot';
import { ApiError, get, qs, routeExists, wsUrl } from './api';
import type { Nav } from './search';
import { fmtNum, h, levelClass } from './util';

const WINDOW = 300;

export function overviewView(root: HTMLElement, _nav: Nav) {
  const status = h('span', { id: 'overview-status', class: 'summary', text: 'connecting…' });
  const notice = h('div', { id: 'overview-notice', class: 'error-box', hidden: true });
  const rateBox = h('div', { id: 'rate-chart', class: 'chart' });
  const numbers = h('div', { class: 'tiles' });
  const byLevel = h('table', { id: 'by-level', class: 'mini' });
  const bySource = h('table', { id: 'by-source', class: 'mini' });
  const latency = h('table', { id: 'latency', class: 'mini' });
  const topErrors = h('table', { id: 'top-errors', class: 'mini wide' });
  root.replaceChildren(h('section', { class: 'overview' },
    h('div', { class: 'query-row' }, h('h2', { text: 'Overview' }), status), notice, numbers,
    h('div', { class: 'card' }, h('h3', { text: 'Ingest and errors per second' }), rateBox),
    h('div', { class: 'grid' },
      h('div', { class: 'card' }, h('h3', { text: 'By level (last second)' }), byLevel),
      h('div', { class: 'card' }, h('h3', { text: 'By source (last second)' }), bySource),
      h('div', { class: 'card' }, h('h3', { text: 'Latency percentiles' }), latency)),
    h('div', { class: 'card' }, h('h3', { text: 'Top errors (last hour)' }), topErrors)));

  const xs: number[] = [], ingest: number[] = [], errors: number[] = [];
  let plot: uPlot | null = null;
  let ws: WebSocket | null = null;
  let closed = false;
  let timer = 0;

  function tile(label: string, value: string, id: string) {
    return h('div', { class: 'tile', id }, h('div', { class: 'tile-v', text: value }), h('div', { class: 'tile-l', text: label }));
  }

  function pushPoint(s: any) {
    const t = s.time ? Date.parse(s.time) / 1000 : Date.now() / 1000;
    xs.push(t);
    ingest.push(s.ingest_per_s ?? s.events_per_s ?? 0);
    errors.push(s.errors_per_s ?? 0);
    while (xs.length > WINDOW) { xs.shift(); ingest.shift(); errors.shift(); }
  }

  function render(s: any) {
    numbers.replaceChildren(
      tile('events / s', fmtNum(s.events_per_s), 'tile-events'),
      tile('ingest / s', fmtNum(s.ingest_per_s), 'tile-ingest'),
      tile('errors / s', fmtNum(s.errors_per_s), 'tile-errors'),
    );
    const rows = (obj: any, cls?: boolean) => Object.entries(obj || {}).sort((a: any, b: any) => b[1] - a[1]).slice(0, 12)
      .map(([k, v]) => h('tr', {}, h('td', {}, cls ? h('span', { class: 'lv ' + levelClass(k), text: k }) : k), h('td', { class: 'num', text: fmtNum(v as number) })));
    byLevel.replaceChildren(...rows(s.by_level, true));
    bySource.replaceChildren(...rows(s.by_source));
    const lat = s.latency || {};
    const lrows = [h('tr', {}, ...['field', 'window', 'count', 'p50', 'p90', 'p99', 'max'].map((x) => h('th', { text: x })))];
    for (const [field, wins] of Object.entries(lat))
      for (const [win, v] of Object.entries(wins as any))
        lrows.push(h('tr', {}, h('td', { text: field }), h('td', { text: win }), ...['count', 'p50', 'p90', 'p99', 'max'].map((k) => h('td', { class: 'num', text: fmtNum((v as any)[k], 2) }))));
    latency.replaceChildren(...(lrows.length > 1 ? lrows : [h('tr', {}, h('td', { class: 'muted', text: 'No latency fields seen.' }))]));
    const data = [xs, ingest, errors] as any;
    if (!plot) {
      plot = new uPlot({
        width: Math.max(300, rateBox.clientWidth || 800), height: 180,
        scales: { x: { time: true } },
        series: [{}, { label: 'ingest/s', stroke: '#1e88e5', width: 2 }, { label: 'errors/s', stroke: '#d32f2f', width: 2 }],
        axes: [{}, { size: 50, values: (_u, v) => v.map((n) => fmtNum(n, 0)) }],
      }, data, rateBox);
    } else plot.setData(data);
  }

  async function loadTopErrors() {
    try {
      const r = await get('/api/v1/logs/aggregate' + qs({ q: 'level IN (error, fatal, critical)', from: 'now-1h', to: 'now', metric: 'count', group_by: 'template', limit: 10 }));
      const list = (r.results || []).sort((a: any, b: any) => b.count - a.count);
      topErrors.replaceChildren(...(list.length ? list.map((x: any) => {
        const tpl = String(x.group?.template ?? '');
        return h('tr', {}, h('td', { class: 'num', text: fmtNum(x.count) }), h('td', {}, h('a', { href: '/?' + new URLSearchParams({ q: 'level:error', from: 'now-1h', to: 'now' }), text: tpl })));
      }) : [h('tr', {}, h('td', { class: 'muted', text: 'No errors in the last hour.' }))]));
    } catch (err: any) {
      topErrors.replaceChildren(h('tr', {}, h('td', { class: 'muted', text: err.message || String(err) })));
    }
  }

  function connect() {
    ws = new WebSocket(wsUrl('/api/v1/stats/live', { window: 60 }));
    ws.onopen = () => (status.textContent = 'live');
    ws.onmessage = (m) => {
      let msg: any;
      try { msg = JSON.parse(m.data); } catch { return; }
      if (msg.type === 'series') {
        for (const p of msg.points || []) pushPoint(p);
        const last = (msg.points || [])[msg.points.length - 1];
        if (last) render(last);
      } else if (msg.type === 'stats') {
        pushPoint(msg);
        render(msg);
      } else if (msg.type === 'error') {
        notice.hidden = false;
        notice.textContent = msg.error;
      }
    };
    ws.onclose = () => {
      if (closed) return;
      status.textContent = 'disconnected; reconnecting…';
      setTimeout(() => { if (!closed) start(); }, 1000);
    };
  }

  async function start() {
    try {
      if (!(await routeExists('/api/v1/stats/live'))) {
        status.textContent = 'live counters unavailable';
        notice.hidden = false;
        notice.textContent = 'Live counters are not available: this daemon has no /api/v1/stats/live route (it answered 404). Top errors below come from the store.';
        return;
      }
    } catch (err: any) {
      status.textContent = 'unavailable';
      notice.hidden = false;
      notice.textContent = err instanceof ApiError ? err.message : String(err);
      setTimeout(() => { if (!closed) start(); }, 2000);
      return;
    }
    notice.hidden = true;
    connect();
  }
  loadTopErrors();
  timer = window.setInterval(loadTopErrors, 10000);
  start();
  return { destroy: () => { closed = true; ws?.close(); clearInterval(timer); plot?.destroy(); } };
}
