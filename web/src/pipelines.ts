// Pipelines: /api/v1/status every second (stages and their counters, plugins
// with versions, the last reload), the drops by reason from /metrics, and
// the reload button (POST /api/v1/reload, admin scope).
import { ApiError, post, request, get } from './api';
import type { Nav } from './search';
import { fmtNum, fmtTime, h, show } from './util';

function parseDrops(text: string): { labels: Record<string, string>; value: number }[] {
  const out: { labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    if (!/^weir_\w*dropped\w*_total[{ ]/.test(line)) continue;
    const m = /^(\w+)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = { metric: m[1] };
    for (const l of (m[2] || '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ labels, value: Number(m[3]) });
  }
  return out;
}

export function pipelinesView(root: HTMLElement, _nav: Nav) {
  const status = h('span', { id: 'pipelines-status', class: 'summary' });
  const reloadBtn = h('button', { id: 'reload', type: 'button', text: 'Reload configuration' });
  const reloadOut = h('div', { id: 'reload-result', class: 'reload-result', hidden: true });
  const lastReload = h('div', { id: 'last-reload', class: 'card' });
  const list = h('div', { id: 'pipelines' });
  const drops = h('table', { id: 'drops', class: 'mini wide' });
  const plugins = h('table', { id: 'plugins', class: 'mini wide' });
  root.replaceChildren(h('section', { class: 'pipelines' },
    h('div', { class: 'query-row' }, h('h2', { text: 'Pipelines' }), status, h('span', { class: 'spacer' }), reloadBtn),
    reloadOut, lastReload, list,
    h('div', { class: 'card' }, h('h3', { text: 'Drops by reason' }), drops),
    h('div', { class: 'card' }, h('h3', { text: 'Loaded plugins' }), plugins)));

  let timer = 0;
  let busy = false;

  function kv(obj: any): HTMLElement {
    const t = h('table', { class: 'kv' });
    for (const [k, v] of Object.entries(obj || {})) {
      const val = Array.isArray(v) ? (v.length ? v.map(show).join('\n') : '–') : show(v);
      t.append(h('tr', {}, h('th', { text: k }), h('td', {}, h('pre', { class: 'plain', text: val }))));
    }
    return t;
  }

  function render(s: any, metricsText: string) {
    status.textContent = `weir ${s.version} · ABI ${s.abi} · started ${fmtTime(s.started_at)} · ${(s.pipelines || []).length} pipeline(s)`;
    const lr = s.last_reload;
    lastReload.replaceChildren(h('h3', { text: 'Last reload' }), lr ? kv(lr) : h('div', { class: 'muted', text: 'No reload since the daemon started.' }));
    list.replaceChildren(...(s.pipelines || []).map((p: any) => {
      const stages = p.stages || [];
      const numeric = new Set<string>();
      for (const st of stages) for (const [k, v] of Object.entries(st)) if (typeof v === 'number') numeric.add(k);
      const cols = ['name', 'kind', 'plugin', 'version', ...numeric];
      const t = h('table', { class: 'mini wide stages' },
        h('tr', {}, ...cols.map((c) => h('th', { text: c }))),
        ...stages.map((st: any) => h('tr', { 'data-stage': st.name }, ...cols.map((c) => h('td', { class: typeof st[c] === 'number' ? 'num' : '', text: typeof st[c] === 'number' ? fmtNum(st[c], 1) : show(st[c]) })))));
      const extra = Object.fromEntries(Object.entries(p).filter(([k]) => !['stages', 'name'].includes(k)));
      return h('div', { class: 'card pipeline', 'data-pipeline': p.name }, h('h3', { text: p.name }), kv(extra), t);
    }));
    const d = parseDrops(metricsText);
    drops.replaceChildren(...(d.length
      ? [h('tr', {}, h('th', { text: 'metric' }), h('th', { text: 'labels' }), h('th', { text: 'count' })),
        ...d.map((x) => h('tr', {}, h('td', { text: x.labels.metric }), h('td', { text: Object.entries(x.labels).filter(([k]) => k !== 'metric').map(([k, v]) => `${k}=${v}`).join(' ') }), h('td', { class: 'num', text: fmtNum(x.value) })))]
      : [h('tr', {}, h('td', { class: 'muted', text: 'Nothing dropped.' }))]));
    plugins.replaceChildren(h('tr', {}, ...['name', 'kind', 'version', 'abi', 'path'].map((c) => h('th', { text: c }))),
      ...(s.plugins || []).map((p: any) => h('tr', {}, ...['name', 'kind', 'version', 'abi', 'path'].map((c) => h('td', { text: show(p[c]) })))),
      ...(s.refused || []).map((r: any) => h('tr', { class: 'refused' }, h('td', { text: 'refused' }), h('td', { colspan: '3', text: r.message }), h('td', { text: r.path }))));
  }

  async function refresh() {
    if (busy) return;
    busy = true;
    try {
      const [s, m] = await Promise.all([get('/api/v1/status'), request('GET', '/metrics').then((r) => r.text()).catch(() => '')]);
      render(s, m);
    } catch (err: any) {
      status.textContent = err.message || String(err);
      status.classList.add('bad');
    } finally {
      busy = false;
    }
  }

  reloadBtn.addEventListener('click', async () => {
    reloadBtn.setAttribute('disabled', '');
    reloadOut.hidden = false;
    reloadOut.className = 'reload-result';
    reloadOut.textContent = 'Reloading…';
    try {
      const r = await post('/api/v1/reload', {});
      reloadOut.className = 'reload-result ok';
      reloadOut.replaceChildren(h('b', { text: 'Reload: ' + (r.result || 'done') }), kv(r));
    } catch (err: any) {
      reloadOut.className = 'reload-result bad';
      const body = err instanceof ApiError ? err.body : null;
      reloadOut.replaceChildren(h('b', { text: 'Reload: ' + (body?.result || 'failed') + ' — ' + (err.message || err) }), body ? kv(body) : '');
    } finally {
      reloadBtn.removeAttribute('disabled');
      refresh();
    }
  });

  refresh();
  timer = window.setInterval(refresh, 1000);
  return { destroy: () => clearInterval(timer) };
}
