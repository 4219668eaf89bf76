import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { Redis } from 'ioredis';

// A TCP proxy in front of the test Redis, so a test can take Redis away from the connections that go
// through it (and only those: other tests share the same Redis) and give it back, or have Redis itself
// drop them with CLIENT KILL, as an outage or a failover does.

export interface RedisProxy {
  url: string;
  /** Connections proxied so far. */
  readonly accepted: number;
  /** Redis goes away: open connections are cut and new ones refused (ECONNREFUSED) until up(). */
  down(): Promise<void>;
  up(): Promise<void>;
  /** CLIENT KILL, sent by `admin`, of every connection currently proxied: the server drops them. */
  killAll(admin: Redis): Promise<number>;
  close(): Promise<void>;
}

export async function startRedisProxy(target = { host: '127.0.0.1', port: 6379 }): Promise<RedisProxy> {
  const pairs = new Set<{ client: Socket; upstream: Socket }>();
  let accepted = 0;
  const onConnection = (client: Socket) => {
    accepted += 1;
    const upstream = createConnection(target);
    const pair = { client, upstream };
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  };
  let server: Server = createServer(onConnection);
  const listen = (port: number) =>
    new Promise<number>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as { port: number }).port);
      });
    });
  const port = await listen(0);
  const stop = () => new Promise<void>((resolve) => server.close(() => resolve()));

  return {
    url: `redis://127.0.0.1:${port}`,
    get accepted() {
      return accepted;
    },
    async down() {
      const closed = stop();
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
      await closed;
    },
    async up() {
      server = createServer(onConnection);
      await listen(port);
    },
    async killAll(admin) {
      let killed = 0;
      for (const { upstream } of [...pairs]) {
        if (upstream.localPort === undefined) continue;
        killed += Number(
          await admin.call('CLIENT', 'KILL', 'ADDR', `127.0.0.1:${upstream.localPort}`).then(
            () => 1,
            () => 0,
          ),
        );
      }
      return killed;
    },
    async close() {
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      pairs.clear();
      if (server.listening) await stop();
    },
  };
}
