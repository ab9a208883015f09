// A tiny HTTP service to test: listens on 127.0.0.1:$PORT, answers /health and /hello, and logs
// each request, so a failing test shows what the server saw.
import { createServer } from 'node:http';

const port = Number(process.env.PORT);
const server = createServer((req, res) => {
  console.log(`${req.method} ${req.url}`);
  if (req.url === '/health') return res.end('ok');
  if (req.url?.startsWith('/hello')) return res.end(`hello from ${port}`);
  res.statusCode = 404;
  res.end('not found');
});
server.listen(port, '127.0.0.1', () => console.log(`listening on ${port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
