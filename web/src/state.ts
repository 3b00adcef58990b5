// What the URL holds: the query, the time range, the columns and the order,
// so any view can be shared or reloaded.

export interface SearchState {
  q: string;
  from: string;
  to: string;
  cols: string[];
  order: 'desc' | 'asc';
}

export const DEFAULT_FROM = 'now-1h';
export const DEFAULT_TO = 'now';

export function readState(): SearchState {
  const p = new URLSearchParams(location.search);
  return {
    q: p.get('q') ?? '',
    from: p.has('from') ? p.get('from')! : DEFAULT_FROM,
    to: p.has('to') ? p.get('to')! : DEFAULT_TO,
    cols: (p.get('cols') || '').split(',').filter(Boolean),
    order: p.get('order') === 'asc' ? 'asc' : 'desc',
  };
}

export function stateQuery(s: SearchState): string {
  const p = new URLSearchParams();
  if (s.q) p.set('q', s.q);
  p.set('from', s.from);
  p.set('to', s.to);
  if (s.cols.length) p.set('cols', s.cols.join(','));
  if (s.order !== 'desc') p.set('order', s.order);
  return p.toString();
}

export function searchUrl(s: SearchState): string {
  return '/?' + stateQuery(s);
}

const UNIT_MS: Record<string, number> = { s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5 };

/// A time as the API takes it, to epoch ms here (null when it cannot tell).
export function resolveTime(t: string, isEnd: boolean, now = Date.now()): number | null {
  const s = t.trim();
  if (!s || s === 'now') return s ? now : null;
  let m = /^now\s*([-+])\s*(\d+)\s*([smhdw])$/.exec(s);
  if (m) return now + (m[1] === '-' ? -1 : 1) * Number(m[2]) * UNIT_MS[m[3]];
  m = /^(\d+)\s*([smhdw])$/.exec(s);
  if (m) return now - Number(m[1]) * UNIT_MS[m[2]];
  if (s === 'today') {
    const d = new Date(now);
    d.setUTCHours(0, 0, 0, 0);
    return isEnd ? d.getTime() + 864e5 : d.getTime();
  }
  if (/^\d{9,10}$/.test(s)) return Number(s) * 1000;
  if (/^\d{12,13}$/.test(s)) return Number(s);
  const d = Date.parse(s);
  return isNaN(d) ? null : d;
}

export const QUICK_RANGES: [string, string, string][] = [
  ['Last 5 minutes', 'now-5m', 'now'],
  ['Last 15 minutes', 'now-15m', 'now'],
  ['Last 1 hour', 'now-1h', 'now'],
  ['Last 24 hours', 'now-24h', 'now'],
  ['Last 7 days', 'now-7d', 'now'],
  ['Today (UTC)', 'today', 'now'],
  ['All time', '', ''],
];

const INTERVALS: [string, number][] = [
  ['1s', 1e3], ['5s', 5e3], ['10s', 1e4], ['30s', 3e4], ['1m', 6e4], ['5m', 3e5], ['10m', 6e5], ['30m', 18e5],
  ['1h', 36e5], ['3h', 108e5], ['12h', 432e5], ['1d', 864e5], ['7d', 6048e5],
];

/// A bucket width giving at most ~120 bars; whole minutes once the range
/// exceeds 2 hours, so the rollups can answer.
export function pickInterval(spanMs: number): [string, number] {
  for (const iv of INTERVALS) {
    if (spanMs / iv[1] <= 120 && (spanMs <= 2 * 36e5 || iv[1] >= 6e4)) return iv;
  }
  return INTERVALS[INTERVALS.length - 1];
}
