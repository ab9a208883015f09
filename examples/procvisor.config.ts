/**
 * A config for `procvisor start` (docs/cli.md): a web server that counts as started once its
 * health endpoint answers, and a worker that is restarted with backoff when it crashes.
 *
 *   npx procvisor check examples/procvisor.config.ts
 *   npx procvisor start examples/procvisor.config.ts
 *
 * Run as a program (`npm run examples` does), this file only builds and exports the config.
 */
// In your project: import { defineConfig } from 'procvisor';
import { defineConfig } from '../src/index.js';

const WEB = `
const http = require('node:http');
const server = http.createServer((req, res) => res.end(req.url === '/health' ? 'ok' : 'hello'));
server.listen(8788, '127.0.0.1', () => console.log('listening on http://127.0.0.1:8788'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

const WORKER = `
let n = 0;
setInterval(() => console.log('processed job ' + ++n), 1000);
`;

export default defineConfig({
  processes: [
    {
      name: 'web',
      command: 'node',
      args: ['-e', WEB],
      readiness: { type: 'http', url: 'http://127.0.0.1:8788/health', interval: '100ms' },
      liveness: { type: 'http', url: 'http://127.0.0.1:8788/health', interval: '5s' },
      shutdown: { signal: 'SIGTERM', timeout: '10s' },
    },
    {
      name: 'worker',
      command: 'node',
      args: ['-e', WORKER],
      backoff: { type: 'exponential', initial: '200ms', max: '10s' },
      limits: { memory: '256MB', action: 'restart' },
    },
  ],
  manager: {
    intensity: { maxRestarts: 5, period: '1m' },
    sampling: { interval: '2s' },
  },
});
