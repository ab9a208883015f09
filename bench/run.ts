/**
 * `npm run bench`: every figure beside its raw baseline measured in the same run, as a ratio.
 * `npm run bench -- core output` runs only the named suites.
 */
import { formatFigure, type BenchFigure } from './lib.js';

const SUITES: Record<string, () => Promise<{ run(): Promise<BenchFigure[]> }>> = {
  core: () => import('./core.js'),
  output: () => import('./output.js'),
  'stop-tree': () => import('./stop-tree.js'),
  'tree-restart': () => import('./tree-restart.js'),
  probes: () => import('./probes.js'),
  sampling: () => import('./sampling.js'),
  scale: () => import('./scale.js'),
  fixtures: () => import('./fixtures.js'),
  cli: () => import('./cli.js'),
  reload: () => import('./reload.js'),
  rlimits: () => import('./rlimits.js'),
  prometheus: () => import('./prometheus.js'),
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length > 0 ? wanted : Object.keys(SUITES);
console.log(`procvisor benchmarks — node ${process.version}, ${process.platform}/${process.arch}\n`);
for (const name of names) {
  const load = SUITES[name];
  if (!load) {
    console.error(`Unknown suite \`${name}\`; known: ${Object.keys(SUITES).join(', ')}`);
    process.exit(2);
  }
  console.log(`## ${name}`);
  const started = performance.now();
  const figures = await (await load()).run();
  for (const figure of figures) console.log(formatFigure(figure));
  console.log(`(${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
}
