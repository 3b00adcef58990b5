// Log details: every field, pretty JSON, stack traces, copy buttons, the
// permalink, related logs and the surrounding lines of the same source.
import { get, qs } from './api';
import type { Nav } from './search';
import {
  copyButton, esc, goto, eventTime, fmtTime, h, jsonHtml, levelClass, levelOf, looksLikeStack, messageOf, quoteValue, show, stackHtml,
} from './util';

const RELATED_FIELDS = ['request_id', 'requestId', 'trace_id', 'traceId', 'trace.id', 'correlation_id', 'span.trace_id'];

function drawer(): HTMLElement {
  return document.getElementById('drawer')!;
}

export function closeDrawer() {
  const d = drawer();
  if (d.hidden) return false;
  d.hidden = true;
  d.replaceChildren();
  const p = new URLSearchParams(location.search);
  if (location.pathname.startsWith('/log/')) history.replaceState(null, '', '/' + (p.toString() ? '?' + p : ''));
  return true;
}

function flatten(v: any, prefix = '', out: [string, any][] = []): [string, any][] {
  if (v && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) flatten(x, prefix ? prefix + '.' + k : k, out);
  } else out.push([prefix, v]);
  return out;
}

function line(e: any, anchor = false): HTMLElement {
  const l = levelOf(e);
  return h('div', { class: 'ctx-line' + (anchor ? ' anchor' : ''), 'data-id': e._id },
    h('span', { class: 'c-time', text: fmtTime(eventTime(e)) }), ' ',
    h('span', { class: 'lv ' + levelClass(l), text: l || '-' }), ' ',
    h('span', { class: 'c-msg', text: messageOf(e).split('\n')[0] }));
}

export async function openDrawer(id: string, nav: Nav) {
  const d = drawer();
  d.hidden = false;
  d.replaceChildren(h('div', { class: 'muted', text: 'Loading ' + id + '…' }));
  const p = new URLSearchParams(location.search);
  history.replaceState(null, '', '/log/' + encodeURIComponent(id) + (p.toString() ? '?' + p : ''));
  let e: any;
  try {
    e = await get('/api/v1/logs/' + encodeURIComponent(id));
  } catch (err: any) {
    d.replaceChildren(h('div', { class: 'drawer-head' }, h('h2', { text: 'Log ' + id }), h('button', { class: 'ghost close', type: 'button', text: '×', onclick: closeDrawer })),
      h('div', { class: 'error-box', text: err.message || String(err) }));
    return;
  }
  const permalink = location.origin + '/log/' + encodeURIComponent(id);
  const fields = flatten(e).filter(([k]) => k !== '_id');
  const stacks = fields.filter(([k, v]) => looksLikeStack(v) || (/stack|trace(back)?$|exception/i.test(k) && typeof v === 'string' && v.includes('\n')));
  const ftable = h('table', { class: 'kv' });
  for (const [k, v] of fields) {
    const text = show(v);
    ftable.append(h('tr', {}, h('th', { text: k }),
      h('td', {}, h('span', { class: 'kv-val', text: text.length > 300 ? text.slice(0, 300) + '…' : text })),
      h('td', { class: 'kv-actions' },
        copyButton(() => text),
        h('button', { type: 'button', class: 'ghost', title: 'Search for this value', text: '⌕', onclick: () => { closeDrawer(); goto('/?' + new URLSearchParams({ q: k + ':' + quoteValue(text), from: '', to: '' })); } }))));
  }
  const related = h('div', { id: 'related' });
  const context = h('div', { id: 'context' });
  d.replaceChildren(
    h('div', { class: 'drawer-head' },
      h('h2', {}, h('span', { class: 'lv ' + levelClass(levelOf(e)), text: levelOf(e) || 'log' }), ' ', fmtTime(eventTime(e))),
      h('button', { class: 'ghost close', type: 'button', title: 'Close (Esc)', text: '×', onclick: closeDrawer })),
    h('div', { class: 'permalink' }, 'Permalink: ', h('a', { id: 'permalink', href: permalink, text: '/log/' + id }), ' ', copyButton(() => permalink, 'Copy link')),
    h('pre', { class: 'message', text: messageOf(e) }),
    ...stacks.map(([k, v]) => h('section', { class: 'stack' }, h('h3', {}, k + ' ', copyButton(() => String(v))), h('pre', { class: 'stacktrace', html: stackHtml(String(v)) }))),
    h('h3', { text: 'Fields' }), ftable,
    h('h3', {}, 'JSON ', copyButton(() => JSON.stringify(e, null, 2))), h('pre', { class: 'json', html: jsonHtml(e) }),
    h('h3', { text: 'Related logs' }), related,
    h('h3', { text: 'Surrounding lines (same source)' }), context,
  );
  const rel = RELATED_FIELDS.map((f) => [f, f.includes('.') ? f.split('.').reduce((o: any, k) => (o ? o[k] : undefined), e) : e[f]] as [string, any]).find(([, v]) => typeof v === 'string' && v);
  if (rel) {
    const q = rel[0] + ':' + quoteValue(rel[1]);
    get('/api/v1/logs/search' + qs({ q, limit: 50 }))
      .then((r) => {
        const list = (r.results || []).filter((x: any) => x._id !== id);
        related.replaceChildren(h('div', { class: 'muted' }, `${list.length} other with `, h('a', { href: '/?' + new URLSearchParams({ q, from: '', to: '' }), text: q })),
          ...list.map((x: any) => clickable(line(x), x._id, nav)));
      })
      .catch((err) => related.replaceChildren(h('div', { class: 'muted', text: err.message })));
  } else related.replaceChildren(h('div', { class: 'muted', text: 'No request_id or trace id on this log.' }));
  get('/api/v1/logs/' + encodeURIComponent(id) + '/context' + qs({ before: 5, after: 5 }))
    .then((r) => context.replaceChildren(...(r.before || []).map((x: any) => clickable(line(x), x._id, nav)), line(e, true), ...(r.after || []).map((x: any) => clickable(line(x), x._id, nav))))
    .catch((err) => context.replaceChildren(h('div', { class: 'muted', text: err.message })));
  void esc;
}

function clickable(el: HTMLElement, id: string, nav: Nav): HTMLElement {
  el.classList.add('link');
  el.addEventListener('click', () => openDrawer(id, nav));
  return el;
}
