// Steady traffic on the demo service's URL, as its users would send: `rps` GETs a second, spread evenly,
// never more than `maxInFlight` waiting (a slow build does not pile up requests). Enough for the gates'
// minimum request counts at the 5 % stage within seconds (see examples/sandbox.yaml).

export interface Load {
  readonly sent: number;
  readonly failed: number;
  stop(): Promise<void>;
}

const PATHS = ['/', '/api/items', '/api/items/42', '/search?q=canary'];

export function startLoad(url: string, rps: number, maxInFlight = 100): Load {
  let sent = 0;
  let failed = 0;
  const inFlight = new Set<Promise<void>>();
  const timer = setInterval(
    () => {
      if (inFlight.size >= maxInFlight) return;
      const path = PATHS[sent % PATHS.length] as string;
      sent += 1;
      const request = fetch(`${url}${path}`, { signal: AbortSignal.timeout(10_000) })
        .then((response) => response.arrayBuffer())
        .then(
          () => {},
          () => {
            failed += 1;
          },
        )
        .finally(() => inFlight.delete(request));
      inFlight.add(request);
    },
    Math.max(1, Math.round(1000 / rps)),
  );
  return {
    get sent() {
      return sent;
    },
    get failed() {
      return failed;
    },
    async stop() {
      clearInterval(timer);
      await Promise.allSettled([...inFlight]);
    },
  };
}
