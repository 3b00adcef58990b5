// Small DOM and text helpers.

export function h(tag: string, attrs: Record<string, any> = {}, ...children: (Node | string | null | undefined | false)[]): HTMLElement {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') e.addEventListener(k.slice(2), v);
    else if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k === 'html') e.innerHTML = v;
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function fmtNum(n: any, digits = 1): string {
  if (n === null || n === undefined || typeof n !== 'number' || !isFinite(n)) return '–';
  if (Math.abs(n) >= 1e9) return (n / 1e9).toFixed(digits) + ' G';
  if (Math.abs(n) >= 1e6) return (n / 1e6).toFixed(digits) + ' M';
  if (Math.abs(n) >= 1e4) return (n / 1e3).toFixed(digits) + ' k';
  return Number.isInteger(n) ? String(n) : n.toFixed(digits);
}

/// "2026-01-19 10:00:00.123" in local time.
export function fmtTime(v: any): string {
  if (v === null || v === undefined) return '';
  const d = typeof v === 'number' ? new Date(v) : new Date(String(v));
  if (isNaN(d.getTime())) return String(v);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

export function eventTime(e: any): any {
  return e['@timestamp'] ?? e.timestamp ?? e.time ?? e._time;
}

export function levelOf(e: any): string {
  const l = e.level ?? e.severity ?? e.lvl ?? '';
  return typeof l === 'string' ? l : String(l);
}

export function levelClass(level: string): string {
  const l = level.toLowerCase();
  if (l.startsWith('fatal') || l.startsWith('crit') || l.startsWith('emerg') || l.startsWith('alert')) return 'lv-fatal';
  if (l.startsWith('err')) return 'lv-error';
  if (l.startsWith('warn')) return 'lv-warn';
  if (l.startsWith('info') || l === 'notice') return 'lv-info';
  if (l.startsWith('debug') || l.startsWith('trace')) return 'lv-debug';
  return 'lv-other';
}

export function messageOf(e: any): string {
  const m = e.message ?? e.msg ?? e.body ?? e.log;
  if (m === undefined) return '';
  return typeof m === 'string' ? m : JSON.stringify(m);
}

/// The value at a dotted path ("request.path").
export function fieldValue(e: any, path: string): any {
  if (path in e) return e[path];
  let cur = e;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || !(part in cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

export function show(v: any): string {
  if (v === undefined) return '';
  if (v === null) return 'null';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/// The words a query looks for in text (bare words, phrases, field values), for highlighting.
export function queryTerms(q: string): string[] {
  const out: string[] = [];
  const re = /"((?:[^"\\]|\\.)*)"|([^\s()",]+)/g;
  const keywords = new Set(['and', 'or', 'not', 'in', 'like', 'is', 'null', 'exists', '&&', '||']);
  let m: RegExpExecArray | null;
  while ((m = re.exec(q))) {
    let t = m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : m[2];
    if (m[2] !== undefined) {
      if (keywords.has(t.toLowerCase())) continue;
      const c = t.search(/[:=<>!]/);
      if (c >= 0) {
        const field = t.slice(0, c);
        t = t.slice(c).replace(/^[:=<>!]+/, '');
        if (field === 'level' || field === 'source' || field === 'service' || field.startsWith('_') || field === 'timestamp') continue;
        if (!t) continue;
      }
      if (t.startsWith('-')) t = t.slice(1);
    }
    t = t.replace(/%/g, '');
    if (t.length >= 2) out.push(t);
  }
  return out;
}

/// HTML of `text` with `terms` marked (case-insensitive).
export function highlight(text: string, terms: string[]): string {
  if (!terms.length || !text) return esc(text);
  const re = new RegExp(terms.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'gi');
  let out = '';
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    if (m[0].length === 0) {
      re.lastIndex++;
      continue;
    }
    out += esc(text.slice(last, m.index)) + '<mark>' + esc(m[0]) + '</mark>';
    last = m.index + m[0].length;
  }
  return out + esc(text.slice(last));
}

/// A query value, quoted when it is not one plain word.
export function quoteValue(v: string): string {
  if (/^[A-Za-z0-9_.\-\/@]+$/.test(v) && !/^(and|or|not|in|like|is|null|exists)$/i.test(v)) return v;
  return '"' + v.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
}

export async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const ta = h('textarea', {}) as HTMLTextAreaElement;
    ta.value = text;
    document.body.append(ta);
    ta.select();
    document.execCommand('copy');
    ta.remove();
  }
}

export function copyButton(text: () => string, label = 'Copy'): HTMLElement {
  const b = h('button', { class: 'copy', type: 'button', title: 'Copy to the clipboard', text: label });
  b.addEventListener('click', async (ev) => {
    ev.stopPropagation();
    await copyText(text());
    b.textContent = 'Copied';
    setTimeout(() => (b.textContent = label), 1200);
  });
  return b;
}

/// Pretty JSON as HTML with token classes.
export function jsonHtml(v: any): string {
  const s = JSON.stringify(v, null, 2);
  return esc(s).replace(
    /(&quot;(?:[^&]|&(?!quot;))*?&quot;)(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g,
    (all, str, colon, lit, num) => {
      if (str) return colon ? `<span class="j-key">${str}</span>${colon}` : `<span class="j-str">${str}</span>`;
      if (lit) return `<span class="j-lit">${lit}</span>`;
      if (num) return `<span class="j-num">${num}</span>`;
      return all;
    },
  );
}

/// A stack trace (Java, Python, Go, JS) with its frames and causes marked.
export function stackHtml(text: string): string {
  return text
    .split('\n')
    .map((line) => {
      const e = esc(line);
      if (/^\s*at\s/.test(line) || /^\s*File ".*", line \d+/.test(line) || /^\s+\S+\.go:\d+/.test(line))
        return `<span class="st-frame">${e.replace(/\(([^()]*:\d+)\)/, '(<span class="st-loc">$1</span>)')}</span>`;
      if (/^\s*Caused by:/.test(line)) return `<span class="st-cause">${e}</span>`;
      if (/^\s*\.\.\. \d+ more/.test(line)) return `<span class="st-more">${e}</span>`;
      if (/^[\w.$]+(Exception|Error|Throwable)\b/.test(line.trim()) || /^Traceback/.test(line) || /^panic:/.test(line))
        return `<span class="st-head">${e}</span>`;
      return e;
    })
    .join('\n');
}

export function looksLikeStack(s: any): boolean {
  return typeof s === 'string' && (/\n\s+at\s/.test(s) || /Traceback \(most recent call last\)/.test(s) || /\ngoroutine \d+/.test(s));
}

/// Navigates inside the app: the shell renders the view of the new URL.
export function goto(url: string, replace = false) {
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  window.dispatchEvent(new Event('weir:navigate'));
}
