// Builds the dashboard into dist/: one minified script, one stylesheet and
// index.html. `node build.mjs --watch` rebuilds on change.
import * as esbuild from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync, copyFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, 'dist');
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

const options = {
  entryPoints: [join(here, 'src/main.ts')],
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2020'],
  outfile: join(dist, 'app.js'),
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'info',
};
const css = readFileSync(join(here, 'node_modules/uplot/dist/uPlot.min.css'), 'utf8') + '\n' +
  readFileSync(join(here, 'src/app.css'), 'utf8');
writeFileSync(join(dist, 'app.css'), css);
copyFileSync(join(here, 'src/index.html'), join(dist, 'index.html'));
if (process.argv.includes('--watch')) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
} else {
  await esbuild.build(options);
}
