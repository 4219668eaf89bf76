import { createServer } from 'node:http';

// The sandbox's demo service, one build per process: `node sandbox/demo/app.ts good|bad`. It prints one
// JSON line {"origin": "http://127.0.0.1:PORT"} once it listens, and ends when its stdin closes (the
// sandbox holds the other end). The traffic proxy in front of it names the revision it serves in the
// `x-cloud-run-revision` header, as Cloud Run's K_REVISION would tell the container.
//
//   GET /healthz, /readyz   200 {"ok": true} on both builds (the bad build starts fine: smoke checks pass)
//   anything else           good: 200 after 10-30 ms; bad: 300 ms slower, and 25 % of answers are 503

export const BAD = { errorShare: 0.25, extraLatencyMs: 300 } as const;

const build = process.argv[2];
if (build !== 'good' && build !== 'bad') {
  console.error('usage: node sandbox/demo/app.ts good|bad');
  process.exit(2);
}

const server = createServer((req, res) => {
  const revision = String(req.headers['x-cloud-run-revision'] ?? 'unknown');
  const path = (req.url ?? '/').split('?')[0];
  req.resume();
  if (path === '/healthz' || path === '/readyz') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: true, build, revision }));
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
