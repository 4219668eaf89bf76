import { startSandbox } from './sandbox.ts';

// `npm run sandbox` (scripts/sandbox.sh provisions Node and Redis, then runs this): starts the sandbox,
// prints the page's URL, and stays up until Ctrl-C or SIGTERM, then stops everything it started.

const rps = process.env.SANDBOX_RPS ? Number(process.env.SANDBOX_RPS) : undefined;
if (rps !== undefined && !(Number.isFinite(rps) && rps > 0 && rps <= 1000)) {
  console.error('shiftgate sandbox: SANDBOX_RPS must be a number of requests a second from 1 to 1000');
  process.exit(2);
}

console.log('shiftgate sandbox: starting Redis, the twins, the demo service and the bot on 127.0.0.1 ...');
let sandbox: Awaited<ReturnType<typeof startSandbox>>;
try {
  sandbox = await startSandbox(rps === undefined ? {} : { rps });
} catch (error) {
  console.error(`shiftgate sandbox: could not start: ${(error as Error).message}`);
  process.exit(1);
}

console.log(`
  Open ${sandbox.pageUrl} : #deploys in the Slack twin

  As Riley (the requester), type:   /canary start demo good     then, as Avery (the approver), approve
                                    each stage in the card's thread until it is promoted
                                    /canary start demo bad      approve 5 % and watch it roll back by itself,
                                    reply in the incident thread, then /incident close

  The demo service is ${sandbox.proxy.url()} (about 40 requests a second of steady load).
  Logs (bot, demo builds, Redis) and the bot's config: ${sandbox.runDir}
  Ctrl-C stops everything.
`);

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) {
    // A second Ctrl-C: leave now; the children end with this process (children.ts).
    console.log('shiftgate sandbox: stopping at once');
    process.exit(130);
  }
  stopping = true;
  console.log(
    `\nshiftgate sandbox: ${signal}: stopping the load, the bot, the demo service, the twins and Redis ...`,
  );
  await sandbox.stop();
  console.log('shiftgate sandbox: stopped');
  process.exit(0);
};
process.on('SIGINT', () => void stop('Ctrl-C'));
process.on('SIGTERM', () => void stop('SIGTERM'));
