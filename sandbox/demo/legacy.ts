import { createServer } from 'node:http';
import { answerStream, isStreamAlias } from './chat-stream.ts';

// The legacy service of the sandbox's stream dual-run (seed 004, LEGACY_BASE_URL): `node
// sandbox/demo/legacy.ts`. Like app.ts it prints one JSON line {"origin": "http://127.0.0.1:PORT"} once it
// listens and ends when its stdin closes. It stands beside the demo service, not behind the traffic
// proxy: a dual-run sends the same request to the demo service's URL and to this origin.
//
//   GET /healthz, /readyz   200 {"ok": true}
//   POST /api/chat/stream, POST /api/chats/{id}/stream
//                           a correct UI message stream, written by hand in its own chunking
//                           (chat-stream.ts): the same event types as the good build's
//   anything else           404

const server = createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  req.resume();
  if (path === '/healthz' || path === '/readyz') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: true, build: 'legacy' }));
    return;
  }
  if (isStreamAlias(path)) {
    answerStream(req, res, 'legacy', 'Hello from the legacy service.').catch(() => res.destroy());
    return;
  }
  res.writeHead(404, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: 'not_found', path }));
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  console.log(JSON.stringify({ origin: `http://127.0.0.1:${port}`, build: 'legacy' }));
});

process.stdin.on('end', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
process.stdin.resume();
process.on('SIGTERM', () => process.exit(0));
