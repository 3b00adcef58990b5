// The public REST and WebSocket API, with the session's token.

export class ApiError extends Error {
  status: number;
  body: any;
  constructor(status: number, message: string, body: any = null) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

const TOKEN_KEY = 'weir.token';

export function token(): string {
  return sessionStorage.getItem(TOKEN_KEY) || '';
}

export function setToken(t: string) {
  if (t) sessionStorage.setItem(TOKEN_KEY, t);
  else sessionStorage.removeItem(TOKEN_KEY);
}

type LoginHook = (why: string) => Promise<void>;
let loginHook: LoginHook | null = null;
export function onLoginNeeded(hook: LoginHook) {
  loginHook = hook;
}

export function qs(params: Record<string, string | number | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? '?' + s : '';
}

/// fetch with the bearer token; a 401 asks for a token once and retries.
export async function request(method: string, path: string, body?: any, signal?: AbortSignal): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const headers: Record<string, string> = {};
    const t = token();
    if (t) headers['Authorization'] = 'Bearer ' + t;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
    } catch (e: any) {
      if (e && e.name === 'AbortError') throw e;
      throw new ApiError(0, 'The Weir daemon does not answer (' + (e && e.message ? e.message : e) + '). Is it running?');
    }
    if (res.status === 401 && attempt < 3 && loginHook) {
      let why = 'The API asks for a bearer token.';
      try {
        why = (await res.clone().json()).error || why;
      } catch {}
      await loginHook(t ? 'This token was refused: ' + why : why);
      continue;
    }
    if (!res.ok) {
      let b: any = null;
      let msg = res.status + ' ' + res.statusText;
      try {
        b = await res.json();
        if (b && b.error) msg = b.error;
      } catch {}
      throw new ApiError(res.status, msg, b);
    }
    return res;
  }
}

export async function get(path: string, signal?: AbortSignal): Promise<any> {
  return (await request('GET', path, undefined, signal)).json();
}

export async function post(path: string, body: any): Promise<any> {
  return (await request('POST', path, body)).json();
}

export async function del(path: string): Promise<any> {
  return (await request('DELETE', path)).json();
}

/// Does a WebSocket route exist? A plain GET answers 426 (or the latest object)
/// where it does, 404 where this daemon has no such route.
export async function routeExists(path: string): Promise<boolean> {
  // A streaming route (the tail also speaks NDJSON) would never end: stop
  // reading once the status is known.
  const ctl = new AbortController();
  try {
    await request('GET', path, undefined, ctl.signal);
    ctl.abort();
    return true;
  } catch (e: any) {
    if (e instanceof ApiError && e.status === 404) return false;
    if (e instanceof ApiError && e.status !== 0 && e.status !== 401 && e.status !== 403) return true;
    throw e;
  }
}

export function wsUrl(path: string, params: Record<string, string | number | undefined>): string {
  const t = token();
  const p = { ...params } as Record<string, string | number | undefined>;
  if (t) p['access_token'] = t;
  return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + path + qs(p);
}
