// Live tail: follows the query over the WebSocket tail (/api/v1/tail).
// Newest at the bottom, as `tail -f`; scrolling up pauses the view (lines
// keep arriving and are counted as "N new"); the server's dropped notices are
// shown in line.
import { ApiError, routeExists, wsUrl } from './api';
import { openDrawer } from './drawer';
import type { Nav } from './search';
import { eventTime, fmtTime, h, highlight, levelClass, levelOf, messageOf, queryTerms } from './util';

const MAX_LINES = 2000;

export function tailView(root: HTMLElement, nav: Nav) {
  const params = new URLSearchParams(location.search);
  const input = h('input', { id: 'q', type: 'search', placeholder: 'Follow logs matching… (empty: everything)', value: params.get('q') || '', spellcheck: 'false', 'aria-label': 'Query' }) as HTMLInputElement;
  input.value = params.get('q') || '';
  const status = h('span', { id: 'tail-status', class: 'summary', text: 'connecting…' });
  const lines = h('div', { id: 'tail-lines', class: 'tail-lines' });
  const newBtn = h('button', { id: 'tail-new', class: 'new-lines', type: 'button', hidden: true });
  const notice = h('div', { id: 'tail-notice', class: 'error-box', hidden: true });
  root.replaceChildren(h('section', { class: 'tail' },
    h('form', { class: 'query-row', onsubmit: (e: Event) => { e.preventDefault(); nav.go('/tail?' + new URLSearchParams({ q: input.value })); } },
      h('div', { class: 'q-wrap' }, input), h('button', { type: 'submit', text: 'Follow' }), status),
    notice, h('div', { class: 'tail-box' }, lines, newBtn)));

  let ws: WebSocket | null = null;
  let closed = false;
  let paused = false;
  let unseen = 0;
  let cursor = '';
  let retry = 0;
  const terms = queryTerms(input.value);

  const atBottom = () => lines.scrollHeight - lines.scrollTop - lines.clientHeight < 30;
  lines.addEventListener('scroll', () => {
    const bottom = atBottom();
    if (paused && bottom) resume();
    else if (!paused && !bottom) {
      paused = true;
      status.textContent = 'paused (scrolled up): scroll to the bottom to resume';
    }
  });
  function resume() {
    paused = false;
    unseen = 0;
    newBtn.hidden = true;
    lines.scrollTop = lines.scrollHeight;
    status.textContent = 'live';
  }
  newBtn.addEventListener('click', resume);

  function add(el: HTMLElement) {
    lines.append(el);
    while (lines.childElementCount > MAX_LINES) lines.firstElementChild!.remove();
    if (paused) {
      unseen++;
      newBtn.hidden = false;
      newBtn.textContent = `${unseen} new ↓`;
    } else lines.scrollTop = lines.scrollHeight;
  }

  function connect() {
    const p: Record<string, string | number> = { q: input.value, backfill: cursor ? 0 : 50 };
    if (cursor) p.cursor = cursor;
    ws = new WebSocket(wsUrl('/api/v1/tail', p));
    ws.onopen = () => { retry = 0; status.textContent = 'catching up…'; };
    ws.onmessage = (m) => {
      let msg: any;
      try { msg = JSON.parse(m.data); } catch { return; }
      if (msg.cursor) cursor = msg.cursor;
      if (msg.type === 'log') {
        const e = { ...(msg.data || {}) };
        if (!e._id && msg.id) e._id = msg.id; // the permalink, beside the event
        const l = levelOf(e);
        const el = h('div', { class: 'tail-line ' + levelClass(l), 'data-id': e._id || '' },
          h('span', { class: 'c-time', text: fmtTime(eventTime(e)) }), ' ',
          h('span', { class: 'lv ' + levelClass(l), text: l || '-' }), ' ',
          h('span', { class: 'c-src', text: String(e.source ?? e.service ?? '') }), ' ',
          h('span', { class: 'c-msg', html: highlight(messageOf(e), terms) }));
        if (e._id) el.addEventListener('click', () => openDrawer(e._id, nav));
        add(el);
      } else if (msg.type === 'dropped') {
        add(h('div', { class: 'tail-dropped', text: `⚠ the server dropped ${msg.count} event(s) for this view (it could not keep up); they are in the store` }));
      } else if (msg.type === 'live') {
        if (!paused) status.textContent = 'live';
      } else if (msg.type === 'error') {
        notice.hidden = false;
        notice.textContent = msg.error || 'the tail reported an error';
      }
    };
    ws.onclose = (ev) => {
      if (closed) return;
      status.textContent = `disconnected (${ev.code}); reconnecting…`;
      retry = Math.min(retry + 1, 5);
      setTimeout(() => { if (!closed) start(); }, 500 * retry);
    };
  }

  async function start() {
    try {
      if (!(await routeExists('/api/v1/tail'))) {
        status.textContent = 'unavailable';
        notice.hidden = false;
        notice.textContent = 'Live tail is not available: this daemon has no /api/v1/tail route (it answered 404). Search still works.';
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
  start();
  return { focus: () => input.focus(), destroy: () => { closed = true; ws?.close(); } };
}
