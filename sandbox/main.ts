import { type Sandbox, startSandbox, type UnexpectedExit } from './sandbox.ts';

// `npm run sandbox` (scripts/sandbox.sh provisions Node and Redis, then runs this): starts the sandbox,
// prints the page's URL, and stays up until Ctrl-C, SIGTERM or SIGHUP, then stops everything it started.
// A signal during start-up stops what had started; a second one leaves at once (children.ts then kills
// what is left). When Redis, a demo build or the bot ends by itself, it says which (and where its log
// is) and stops the rest.

const rps = process.env.SANDBOX_RPS ? Number(process.env.SANDBOX_RPS) : undefined;
if (rps !== undefined && !(Number.isFinite(rps) && rps > 0 && rps <= 1000)) {
  console.error('shiftgate sandbox: SANDBOX_RPS must be a number of requests a second from 1 to 1000');
  process.exit(2);
}

const starting = new AbortController();
let sandbox: Sandbox | undefined;
let leaving: { code: number } | undefined;

/** Stops everything, once; `code` is the exit code. */
function leave(why: string, code: number): void {
  if (leaving) {
    // A second Ctrl-C: leave now; the children end with this process (children.ts).
    console.log('shiftgate sandbox: stopping at once');
    process.exit(code === 0 ? 130 : code);
  }
  leaving = { code };
  console.log(
    `\nshiftgate sandbox: ${why}: stopping the load, the bot, the demo service, the twins and Redis ...`,
  );
  if (!sandbox) {
    // Still starting: startSandbox stops what had started, then rejects (below).
    starting.abort(new Error(why));
    return;
  }
  void sandbox.stop().then(() => {
    console.log('shiftgate sandbox: stopped');
    process.exit(code);
  });
}

process.on('SIGINT', () => leave('Ctrl-C', 0));
process.on('SIGTERM', () => leave('SIGTERM', 0));
process.on('SIGHUP', () => leave('SIGHUP', 0));

const unexpected = (exit: UnexpectedExit) => {
  const how = exit.signal ? `was killed (${exit.signal})` : `exited (code ${exit.code})`;
  console.error(`shiftgate sandbox: ${exit.what} ${how}; its log: ${exit.logFile}`);
  if (!leaving) leave(`${exit.what} is gone`, 1);
};

console.log('shiftgate sandbox: starting Redis, the twins, the demo service and the bot on 127.0.0.1 ...');
try {
  sandbox = await startSandbox({
    ...(rps === undefined ? {} : { rps }),
    signal: starting.signal,
    onExit: unexpected,
  });
} catch (error) {
  if (leaving) {
    console.log('shiftgate sandbox: stopped');
    process.exit(leaving.code);
  }
  console.error(`shiftgate sandbox: could not start: ${(error as Error).message}`);
  process.exit(1);
}

console.log(`
  Open ${sandbox.pageUrl} : #deploys in the Slack twin

  As Riley (the requester), type:   /canary start demo good     then, as Avery (the approver), approve
                                    each stage in the card's thread until it is promoted
                                    /canary start demo bad      approve 5 % and watch it roll back by itself,
                                    reply in the incident thread, then /incident close
                                    /cutover stream demo <stable-rev> <canary-rev> --apply-route-flip --live
                                                                the stream cutover train (seed 004), after a
                                                                promotion (/canary status demo names both revisions);
                                                                add --dual-run ${sandbox.legacyUrl} to compare with legacy
  As Avery:  /flag signoff demo-flags https://example.com/shadow-run   then as Riley: /flag canary demo-flags
             and approve as Avery: its flag turns the bad behaviour on, and the canary turns it back off
             by itself (golden_mismatch increased); /flag canary demo-greeting passes

  The demo service is ${sandbox.proxy.url()} (about ${sandbox.rps} requests a second of steady load).
  Logs (bot, demo builds, Redis) and the bot's config: ${sandbox.runDir}
  Ctrl-C stops everything.
`);
