import { type AddressInfo, createServer, type Socket } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { closeRedis, createKeys, createRedis } from '../../src/store/index.ts';
import { REDIS_URL } from '../helpers/redis.ts';

describe('connection and keys', () => {
  it('refuses ioredis keyPrefix (BullMQ forbids it; the store prefixes keys itself)', () => {
    expect(() => createRedis(REDIS_URL, { keyPrefix: 'x:' } as never)).toThrow(TypeError);
  });

  it('accepts maxRetriesPerRequest: null, as BullMQ needs', async () => {
    const redis = createRedis(REDIS_URL, { maxRetriesPerRequest: null });
    try {
      expect(redis.options.maxRetriesPerRequest).toBeNull();
      expect(await redis.ping()).toBe('PONG');
    } finally {
      await closeRedis(redis);
      await closeRedis(redis);
    }
  });

  it('builds every key under the prefix', () => {
    const keys = createKeys('acme:');
    expect([
      keys.lock('control', 'prod'),
      keys.fence('control', 'prod'),
      keys.freeze('control', 'prod'),
      keys.lockIndex(),
      keys.freezeIndex(),
      keys.rollout('r-1'),
      keys.activeRollouts('control', 'prod'),
      keys.activeRolloutsAll(),
      keys.approvals('r-1', '25'),
      keys.idempotency('event:Ev1'),
      keys.audit(),
      keys.timeline('inc-1'),
      keys.timelineEntries('inc-1'),
    ]).toEqual([
      'acme:lock:control:prod',
      'acme:fence:control:prod',
      'acme:freeze:control:prod',
      'acme:locks',
      'acme:freezes',
      'acme:rollout:r-1',
      'acme:rollouts:active:control:prod',
      'acme:rollouts:active',
      'acme:approvals:r-1:25',
      'acme:idem:event:Ev1',
      'acme:audit',
      'acme:timeline:inc-1',
      'acme:timeline:inc-1:entries',
    ]);
    expect(createKeys().audit()).toBe('shiftgate:audit');
    expect(() => keys.lock('control', 'prod:eu')).toThrow(TypeError);
    expect(() => keys.rollout('')).toThrow(TypeError);
  });
});

describe('closeRedis', () => {
  it('does not wait for ever on a connection whose server stopped answering (QUIT never answered)', async () => {
    // A server that accepts and then says nothing, as a Redis behind a dead network path does.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => {
      sockets.push(socket);
      // OK to what a connection sends on connect (CLIENT SETNAME, SETINFO); QUIT is never answered.
      socket.on('data', (chunk: Buffer) => {
        const text = chunk.toString();
        if (text.includes('QUIT')) return;
        const commands = text.split('\r\n').filter((line) => line.startsWith('*')).length;
        socket.write('+OK\r\n'.repeat(commands));
      });
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const redis = createRedis(`redis://127.0.0.1:${port}`, {
      enableReadyCheck: false,
      log: { warn: () => {} },
    });
    try {
      await vi.waitFor(() => expect(redis.status).toBe('ready'));
      const closed = await Promise.race([
        closeRedis(redis, 200).then(() => 'closed'),
        new Promise((resolve) => setTimeout(() => resolve('still waiting'), 2_000)),
      ]);
      expect(closed).toBe('closed');
    } finally {
      redis.disconnect();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
