import { createServer } from 'node:http';
import { answerStream, isStreamAlias } from './chat-stream.ts';

// The sandbox's demo service, one build per process: `node sandbox/demo/app.ts good|bad`. It prints one
// JSON line {"origin": "http://127.0.0.1:PORT"} once it listens, and ends when its stdin closes (the
// sandbox holds the other end). The traffic proxy in front of it names the revision it serves in the
// `x-cloud-run-revision` header, as Cloud Run's K_REVISION would tell the container.
//
//   GET /healthz, /readyz   200 {"ok": true} on both builds (the bad build starts fine: smoke checks pass)
//   POST /api/chat/stream, POST /api/chats/{id}/stream
//                           the chat stream of seed 004 (chat-stream.ts), 200 on both builds: good keeps
//                           the stream contract, bad breaks it (no finish-step, two [DONE])
//   anything else           good: 200 after 10-30 ms; bad: 300 ms slower, and 25 % of answers are 503
// The legacy service a dual-run compares the streams with is legacy.ts.

export const BAD = { errorShare: 0.25, extraLatencyMs: 300 } as const;

const build = process.argv[2];
if (build !== 'good' && build !== 'bad') {
  console.error('usage: node sandbox/demo/app.ts good|bad');
  process.exit(2);
}

const server = createServer((req, res) => {
  const revision = String(req.headers['x-cloud-run-revision'] ?? 'unknown');
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  req.resume();
  if (path === '/healthz' || path === '/readyz') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: true, build, revision }));
    return;
  }
  if (isStreamAlias(path)) {
    answerStream(req, res, build, `Hello from ${revision}, the ${build} build.`).catch(() => res.destroy());
    return;
  }
  const latency = 10 + Math.random() * 20 + (build === 'bad' ? BAD.extraLatencyMs : 0);
  const failing = build === 'bad' && Math.random() < BAD.errorShare;
  setTimeout(() => {
    res.writeHead(failing ? 503 : 200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify(
        failing
          ? { error: 'upstream_unavailable', build, revision }
          : { message: `hello from ${revision}`, build, revision },
      ),
    );
  }, latency);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  console.log(JSON.stringify({ origin: `http://127.0.0.1:${port}`, build }));
});

process.stdin.on('end', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
process.stdin.resume();
process.on('SIGTERM', () => process.exit(0));
