// The dashboard's shell: the router (the URL holds the view, the query and
// the time range), the token prompt, the error banner and the keyboard.
import { onLoginNeeded, setToken } from './api';
import { goto } from './util';
import { closeDrawer } from './drawer';
import { overviewView } from './overview';
import { pipelinesView } from './pipelines';
import { alertsView, openSaved, savedView } from './saved';
import { Nav, searchView } from './search';
import { tailView } from './tail';

type View = { focus?: () => void; destroy?: () => void };
let current: View = {};
const viewEl = () => document.getElementById('view')!;

function showBanner(msg: string | null) {
  const b = document.getElementById('banner')!;
  b.hidden = !msg;
  b.textContent = msg || '';
}

// Views other than search: every navigation renders the target anew.
const nav: Nav = { go: (url, replace = false) => goto(url, replace), error: showBanner };

// The search view keeps the URL in step with its own state without being rebuilt.
const searchNav: Nav = {
  go(url: string, replace = false) {
    if (url === location.pathname + location.search) return;
    if (replace) history.replaceState(null, '', url);
    else history.pushState(null, '', url);
  },
  error: showBanner,
};

function viewName(path: string): string {
  if (path === '/' || path.startsWith('/log/') || path === '/search') return 'search';
  return path.split('/')[1] || 'search';
}

function route() {
  current.destroy?.();
  closeDrawerQuiet();
  const path = location.pathname;
  const name = viewName(path);
  document.querySelectorAll('#nav a').forEach((a) => a.classList.toggle('active', (a as HTMLElement).dataset.view === name));
  const root = viewEl();
  showBanner(null);
  if (name === 'search') {
    const id = path.startsWith('/log/') ? decodeURIComponent(path.slice(5)) : null;
    current = searchView(root, searchNav, id);
  } else if (name === 'tail') current = tailView(root, nav);
  else if (name === 'overview') current = overviewView(root, nav);
  else if (name === 'pipelines') current = pipelinesView(root, nav);
  else if (name === 'saved' && path.split('/')[2]) {
    current = {};
    openSaved(decodeURIComponent(path.split('/')[2]), root, nav);
  } else if (name === 'saved') current = savedView(root, nav);
  else if (name === 'alerts') current = alertsView(root, nav);
  else {
    current = {};
    root.textContent = 'No such page: ' + path;
  }
  document.title = 'Weir · ' + name;
}

function closeDrawerQuiet() {
  const d = document.getElementById('drawer')!;
  d.hidden = true;
  d.replaceChildren();
}

// Links inside the app navigate without a page load.
document.addEventListener('click', (e) => {
  const a = (e.target as HTMLElement).closest('a');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || a.target || a.hasAttribute('download')) return;
  const href = a.getAttribute('href');
  if (!href || !href.startsWith('/') || href.startsWith('/api/') || href === '/metrics') return;
  e.preventDefault();
  closeDrawerQuiet();
  history.pushState(null, '', href);
  route();
});
window.addEventListener('popstate', route);
window.addEventListener('weir:navigate', route);

document.addEventListener('keydown', (e) => {
  const t = e.target as HTMLElement;
  const typing = t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable);
  if (e.key === 'Escape') {
    if (closeDrawer()) e.preventDefault();
  } else if (e.key === '/' && !typing) {
    e.preventDefault();
    current.focus?.();
  }
});

// A 401 shows the token prompt; the request is retried with the new token.
let pending: Promise<void> | null = null;
onLoginNeeded((why) => {
  if (pending) return pending;
  pending = new Promise<void>((resolve) => {
    const modal = document.getElementById('login')!;
    const form = document.getElementById('login-form') as HTMLFormElement;
    const input = document.getElementById('login-token') as HTMLInputElement;
    document.getElementById('login-why')!.textContent = why;
    modal.hidden = false;
    input.value = '';
    input.focus();
    form.onsubmit = (ev) => {
      ev.preventDefault();
      setToken(input.value.trim());
      modal.hidden = true;
      pending = null;
      resolve();
    };
  });
  return pending;
});

// A script error never leaves a blank page.
window.addEventListener('error', (e) => showBanner('The dashboard hit an error: ' + e.message));
window.addEventListener('unhandledrejection', (e: PromiseRejectionEvent) => {
  const r: any = e.reason;
  if (r && r.name === 'AbortError') return;
  showBanner((r && r.message) || String(r));
});

route();
