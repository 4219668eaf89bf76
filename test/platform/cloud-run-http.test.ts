import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { getResponse } from 'msw';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type CloudRunTwin, createCloudRunTwin } from '../../sandbox/twins/cloud-run/index.ts';
import { CloudRunAdapter } from '../../src/platform/cloud-run/index.ts';

// The sandbox serves the twins' handlers over real HTTP (msw's getResponse behind node:http). This runs
// the canary against the Cloud Run twin that way, with no msw interception at all in this file.

let server: Server;
let twin: CloudRunTwin;
let cloudRun: CloudRunAdapter;

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const request = new Request(`http://${req.headers.host}${req.url}`, {
      method: req.method,
      headers: req.headers as Record<string, string>,
      ...(req.method === 'GET' || req.method === 'HEAD'
        ? {}
        : { body: Readable.toWeb(req) as ReadableStream, duplex: 'half' as const }),
    });
    const response =
      (await getResponse(twin.handlers, request)) ?? new Response('no twin route', { status: 404 });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  twin = createCloudRunTwin({ baseUrl: `http://127.0.0.1:${port}` });
  cloudRun = new CloudRunAdapter({ google: { projectId: 'p', endpoint: twin.endpoint }, pollMs: 2 });
});

afterAll(async () => {
  await cloudRun.close();
  await new Promise((resolve) => server.close(resolve));
});

it('deploys, shifts and rolls back over real HTTP', async () => {
  const ref = { project: 'p', region: 'europe-west1', service: 'control' };
  const stable = twin.seedService({ ...ref, image: 'control:v1' }).latestReadyRevision as string;
  const { revision: canary, tagUrl } = await cloudRun.deployNoTraffic(ref, { image: 'control:v2' });
  expect(tagUrl).toMatch(/^https:\/\/canary---control-[a-z0-9]{10}-ew\.a\.run\.app$/);
  await cloudRun.setSplit(ref, { stable, canary, canaryPercent: 25 });
  expect(twin.service(ref).split).toEqual({ [stable]: 75, [canary]: 25 });
  await cloudRun.rollbackTo(ref, stable);
  expect(twin.service(ref).split).toEqual({ [stable]: 100 });
});
