// Saved queries (stored on the server, shareable as /saved/<id>) and alerts
// (rule states and their history).
import { del, get } from './api';
import type { Nav } from './search';
import { searchUrl } from './state';
import { fmtNum, fmtTime, h, show } from './util';

function savedUrl(s: any): string {
  return searchUrl({ q: s.query || '', from: s.from ?? '', to: s.to ?? '', cols: s.columns || [], order: 'desc' });
}

export function savedView(root: HTMLElement, nav: Nav) {
  const list = h('table', { id: 'saved', class: 'mini wide' });
  const note = h('div', { id: 'saved-error', class: 'error-box', hidden: true });
  root.replaceChildren(h('section', { class: 'saved' },
    h('div', { class: 'query-row' }, h('h2', { text: 'Saved queries' }),
      h('span', { class: 'summary', text: 'Save a query from the search page (Save…). Saving and deleting need an admin token.' })),
    note, list));
  async function load() {
    try {
      const r = await get('/api/v1/saved-queries');
      const items = r.saved_queries || [];
      list.replaceChildren(h('tr', {}, ...['name', 'query', 'range', 'columns', 'saved', ''].map((c) => h('th', { text: c }))),
        ...items.map((s: any) => h('tr', { 'data-id': s.id, class: 'saved-row' },
          h('td', {}, h('a', { href: savedUrl(s), class: 'saved-open', text: s.name, onclick: (e: Event) => { e.preventDefault(); nav.go(savedUrl(s)); } })),
          h('td', {}, h('code', { text: s.query || '(everything)' })),
          h('td', { text: `${s.from || 'all time'} → ${s.to || 'now'}` }),
          h('td', { text: (s.columns || []).join(', ') }),
          h('td', { text: fmtTime(s.updated) }),
          h('td', {},
            h('a', { href: '/saved/' + s.id, class: 'ghost', title: 'A link to share', text: 'link' }), ' ',
            h('button', { type: 'button', class: 'ghost danger', text: 'Delete', onclick: async () => {
              try { await del('/api/v1/saved-queries/' + encodeURIComponent(s.id)); load(); } catch (err: any) { note.hidden = false; note.textContent = err.message; }
            } })))));
      if (!items.length) list.append(h('tr', {}, h('td', { class: 'muted', text: 'No saved queries yet.' })));
    } catch (err: any) {
      note.hidden = false;
      note.textContent = err.message || String(err);
    }
  }
  load();
  return {};
}

/// /saved/<id>: opens the saved query in the search view.
export async function openSaved(id: string, root: HTMLElement, nav: Nav) {
  root.replaceChildren(h('div', { class: 'muted', text: 'Opening saved query ' + id + '…' }));
  try {
    const s = await get('/api/v1/saved-queries/' + encodeURIComponent(id));
    nav.go(savedUrl(s), true);
  } catch (err: any) {
    root.replaceChildren(h('div', { class: 'error-box', text: err.message || String(err) }));
  }
}

export function alertsView(root: HTMLElement, _nav: Nav) {
  const groups = h('div', { id: 'alert-groups' });
  const hist = h('table', { id: 'alert-history', class: 'mini wide' });
  const note = h('div', { class: 'error-box', hidden: true });
  root.replaceChildren(h('section', { class: 'alerts' }, h('div', { class: 'query-row' }, h('h2', { text: 'Alerts' })), note, groups,
    h('div', { class: 'card' }, h('h3', { text: 'History (newest first)' }), hist)));
  let timer = 0;
  async function load() {
    try {
      const r = await get('/api/v1/alerts');
      note.hidden = true;
      groups.replaceChildren(...(r.groups || []).map((g: any) => h('div', { class: 'card' },
        h('h3', { text: `${g.name} · every ${fmtNum((g.interval_ms || 0) / 1000)} s` }),
        h('table', { class: 'mini wide' },
          h('tr', {}, ...['rule', 'state', 'value', 'condition', 'query', 'active since', 'last evaluation', 'last error'].map((c) => h('th', { text: c }))),
          ...(g.rules || []).map((x: any) => h('tr', { 'data-rule': x.name },
            h('td', { text: x.name }), h('td', {}, h('span', { class: 'state st-' + x.state, text: x.state })),
            h('td', { class: 'num', text: fmtNum(x.value, 2) }), h('td', {}, h('code', { text: x.condition || '' })),
            h('td', {}, h('a', { href: searchUrl({ q: x.query || '', from: 'now-1h', to: 'now', cols: [], order: 'desc' }), text: x.query || '' })),
            h('td', { text: fmtTime(x.active_since) }), h('td', { text: fmtTime(x.last_evaluation) }), h('td', { text: show(x.last_error ?? '') })))))));
      if (!(r.groups || []).length) groups.replaceChildren(h('div', { class: 'muted card', text: 'No alert rules (service.alerts_dir, docs/alerts.md).' }));
      const history = r.history || [];
      hist.replaceChildren(h('tr', {}, ...['at', 'group', 'rule', 'from', 'to', 'value'].map((c) => h('th', { text: c }))),
        ...history.map((e: any) => h('tr', {}, h('td', { text: fmtTime(e.at) }), h('td', { text: e.group }), h('td', { text: e.rule }),
          h('td', {}, h('span', { class: 'state st-' + e.from, text: e.from })), h('td', {}, h('span', { class: 'state st-' + e.to, text: e.to })), h('td', { class: 'num', text: fmtNum(e.value, 2) }))));
    } catch (err: any) {
      note.hidden = false;
      note.textContent = err.message || String(err);
    }
  }
  load();
  timer = window.setInterval(load, 5000);
  return { destroy: () => clearInterval(timer) };
}
