// Starts the real weir daemon for the browser tests: a temp directory with
// weir.yaml, pipelines/ and data/, the admin listener on a free loopback port
// (read back from the daemon's log), stopped by its PID.
import { spawn } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, existsSync, openSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const WEIR_BIN = process.env.WEIR_BIN || 'build/weir';

export async function waitUntil(fn, { timeout = 30000, interval = 50, message = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      if (e && e.fatal) throw e;
      last = e;
    }
    await new Promise((r) => setTimeout(r, interval));
  }
  throw new Error(`timed out after ${timeout} ms waiting for ${message} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
}

export class Daemon {
  constructor({ service = '', top = '', pipelines = {} } = {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'weir-browser-'));
    mkdirSync(join(this.dir, 'pipelines'), { recursive: true });
    this.dataDir = join(this.dir, 'data');
    this.config = join(this.dir, 'weir.yaml');
    writeFileSync(this.config,
      'service:\n  admin_listen: 127.0.0.1:0\n' +
      `  data_dir: ${JSON.stringify(this.dataDir)}\n  log_level: info\n  pipelines_dir: pipelines\n` +
      service + top + 'plugins:\n  dirs: []\n');
    for (const [name, text] of Object.entries(pipelines)) writeFileSync(join(this.dir, 'pipelines', name), text);
    this.stderrPath = join(this.dir, 'stderr.log');
    this.proc = null;
  }

  async start() {
    const offset = existsSync(this.stderrPath) ? statSync(this.stderrPath).size : 0;
    const err = openSync(this.stderrPath, 'a');
    const out = openSync(join(this.dir, 'stdout.log'), 'a');
    this.proc = spawn(process.env.WEIR_BIN || WEIR_BIN, ['run', '--config', this.config], { cwd: this.dir, stdio: ['ignore', out, err] });
    this.exited = new Promise((resolve) => this.proc.on('exit', (code, sig) => resolve({ code, sig })));
    let gone = null;
    this.exited.then((r) => (gone = r));
    const port = await waitUntil(() => {
      if (gone) throw Object.assign(new Error(`weir exited (${JSON.stringify(gone)}):\n${this.stderr(offset)}`), { fatal: true });
      const m = /component=admin msg="listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(this.stderr(offset));
      return m ? Number(m[1]) : null;
    }, { timeout: 60000, message: 'the admin listener' });
    this.port = port;
    this.base = `http://127.0.0.1:${port}`;
    return this;
  }

  stderr(offset = 0) {
    return existsSync(this.stderrPath) ? readFileSync(this.stderrPath).subarray(offset).toString() : '';
  }

  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 60000);
    await this.exited;
    clearTimeout(timer);
  }

  async fetch(path, { token, method = 'GET', body } = {}) {
    const headers = {};
    if (token) headers.Authorization = 'Bearer ' + token;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    return fetch(this.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  }

  async json(path, opts) {
    const r = await this.fetch(path, opts);
    const text = await r.text();
    if (!r.ok) throw new Error(`${path}: ${r.status} ${text}`);
    return JSON.parse(text);
  }
}
