// DuckDB side of bench/store_bench.sh: loads the benchmark's NDJSON into a
// table, then runs Q1-Q7 (one warm-up and 5 timed runs each) and prints one
// JSON object: load time, rows/s, CPU seconds and peak RSS of this process,
// the database file's size, and the median client wall time of every query.
//
//   node bench/duckdb_bench.mjs MODULES_DIR DATA.ndjson DB_FILE
//
// MODULES_DIR is the folder whose node_modules holds @duckdb/node-api (the
// bench installs it outside the source tree). The day's bounds, the needle
// and the probe user_id come from the environment: DAY_FROM, DAY_END (the
// exclusive end), HOUR_FROM, NEEDLE, PROBE_USER.
import { createRequire } from 'node:module';
import { statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { performance } from 'node:perf_hooks';

const [modulesDir, dataFile, dbFile] = process.argv.slice(2);
if (!modulesDir || !dataFile || !dbFile) {
  console.error('usage: node duckdb_bench.mjs MODULES_DIR DATA.ndjson DB_FILE');
  process.exit(2);
}
const env = (name) => {
  const v = process.env[name];
  if (!v) {
    console.error(`duckdb_bench: ${name} is not set`);
    process.exit(2);
  }
  return v;
};
const dayFrom = env('DAY_FROM');
const dayEnd = env('DAY_END');
const hourFrom = env('HOUR_FROM');
const needle = env('NEEDLE');
const probeUser = env('PROBE_USER');
const lit = (s) => `'${String(s).replaceAll("'", "''")}'`;

const require = createRequire(`${modulesDir}/`);
const { DuckDBInstance } = await import(pathToFileURL(require.resolve('@duckdb/node-api')).href);

const instance = await DuckDBInstance.create(dbFile);
const conn = await instance.connect();
const version = (await conn.runAndReadAll('SELECT version()')).getRows()[0][0];

// The table a DuckDB user would make of these lines: typed columns for the
// known fields, the rest (client_ip) as its own column. Rows arrive in time
// order, so DuckDB's per-row-group min/max (zonemaps) prune time ranges; there
// is no full-text index (the fts extension is downloaded on first use, and the
// bench is offline), so words are found with ILIKE.
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await conn.run(`CREATE TABLE logs AS SELECT * FROM read_ndjson(${lit(dataFile)}, columns = {
  timestamp: 'TIMESTAMPTZ', level: 'VARCHAR', service: 'VARCHAR', message: 'VARCHAR',
  user_id: 'BIGINT', client_ip: 'VARCHAR', latency_ms: 'DOUBLE'})`);
await conn.run('CHECKPOINT');
const loadS = (performance.now() - t0) / 1000;
const cpu1 = process.cpuUsage(cpu0);
const rows = Number((await conn.runAndReadAll('SELECT count(*) FROM logs')).getRows()[0][0]);

const day = `timestamp >= ${lit(dayFrom)}::TIMESTAMPTZ AND timestamp < ${lit(dayEnd)}::TIMESTAMPTZ`;
const hour = `timestamp >= ${lit(hourFrom)}::TIMESTAMPTZ AND timestamp < ${lit(dayEnd)}::TIMESTAMPTZ`;
const queries = {
  Q1: `SELECT * FROM logs WHERE level = 'ERROR' AND message ILIKE '%timeout%' ORDER BY timestamp DESC LIMIT 100`,
  Q2: `SELECT level, count(*) FROM logs WHERE ${day} GROUP BY level`,
  Q3: `SELECT time_bucket(INTERVAL 1 minute, timestamp) AS minute, count(*) FROM logs WHERE ${day} GROUP BY minute ORDER BY minute`,
  Q4: `SELECT message, count(*) AS n FROM logs WHERE ${hour} GROUP BY message ORDER BY n DESC LIMIT 10`,
  Q5: `SELECT quantile_cont(latency_ms, 0.95), quantile_cont(latency_ms, 0.99) FROM logs WHERE ${hour}`,
  Q6: `SELECT * FROM logs WHERE ${day} AND message ILIKE ${lit(`%${needle}%`)} ORDER BY timestamp DESC LIMIT 100`,
  Q7: `SELECT count(*) FROM logs WHERE ${day} AND user_id = ${Number(probeUser)}`,
};

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = {};
for (const [name, sql] of Object.entries(queries)) {
  const warm = await conn.runAndReadAll(sql);
  const rs = warm.getRows();
  const times = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await conn.runAndReadAll(sql);
    times.push(performance.now() - t);
  }
  // One number that says the answer is the same as the other systems': the
  // count for Q7, the rows otherwise.
  const check = name === 'Q7' ? Number(rs[0][0]) : rs.length;
  results[name] = { ms: median(times), rows: check, sql };
}
conn.closeSync();
instance.closeSync?.();

console.log(
  JSON.stringify({
    version,
    rows,
    load_s: loadS,
    load_rows_s: rows / loadS,
    load_cpu_s: (cpu1.user + cpu1.system) / 1e6,
    peak_rss_mib: process.resourceUsage().maxRSS / 1024,
    disk_bytes: statSync(dbFile).size,
    queries: results,
  }),
);
