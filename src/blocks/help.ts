import {
  code,
  escapeText,
  header,
  lineSections,
  type Mrkdwn,
  md,
  mdJoin,
  message,
  type SlackMessage,
  section,
} from './message.ts';

// Each command's help, and the right form that follows every error message. The forms are the ones the
// parsers in src/commands accept. Angle brackets are escaped: Slack reads `<tag>` as a link otherwise.

export type Command =
  | '/canary'
  | '/rollback'
  | '/incident'
  | '/deploy'
  | '/validate'
  | '/route'
  | '/cutover'
  | '/flag'
  | '/report'
  | '/gates';

interface Form {
  form: string;
  does: string;
}

const FORMS: Record<Command, Record<string, Form>> = {
  '/canary': {
    start: {
      form: '/canary start [service] <tag> [env] [--dry-run] [--without-go "<reason>"] [--during-freeze "<reason>"]',
      does: "Start a canary of the image tag. The service may be left out in a channel tied to one service. Into an environment with requireGo it needs a recent GO of the named environment's validation matrix; an admin may start without one, with --without-go and a reason (audited). During a scheduled freeze window it is refused; an admin may start anyway with --during-freeze and a reason (audited).",
    },
    status: { form: '/canary status [service] [env]', does: 'Where a rollout stands (only you see it).' },
    list: { form: '/canary list', does: 'Every active rollout and rollback.' },
    pause: {
      form: '/canary pause [service] [env]',
      does: 'Hold it at its approval wait or between gate ticks.',
    },
    resume: {
      form: '/canary resume [service] [env] [--during-freeze "<reason>"]',
      does: 'Go on after a pause, or after people looked at it. Admins: --during-freeze lets a rollout held by a scheduled freeze window shift traffic again (audited).',
    },
    abort: {
      form: '/canary abort [service] [env] [reason]',
      does: 'Stop it; any canary traffic returns to the stable revision first.',
    },
    promote: {
      form: '/canary promote [service] [env]',
      does: 'Admins: no more approval waits or watch windows; every stage still runs its gates once.',
    },
    done: {
      form: '/canary done [service] [env] [reason]',
      does: 'End the post-promotion watch now: the new revision stays, the previous one is released, the rollout is done.',
    },
    help: { form: '/canary help', does: 'This help.' },
  },
  '/rollback': {
    rollback: {
      form: '/rollback <service> [env] [--to <revision>] [--route-only | --traffic-only] [--dry-run] --reason "<text>"',
      does: 'The deterministic rollback: route override, traffic back to stable, verify, checks. Opens an incident. Without --to it goes to the last known-good stable revision (of the last promoted rollout), never to an aborted or rolled-back build, and says which before anyone approves. Break-glass and admins run it at once; others post a request for approval.',
    },
    help: { form: '/rollback help', does: 'This help.' },
  },
  '/incident': {
    open: {
      form: '/incident open <service> [env] <summary>',
      does: 'Open an incident thread; every reply is a note.',
    },
    note: { form: '/incident note <text>', does: "Add a note to this channel's open incident." },
    close: {
      form: '/incident close [summary]',
      does: 'Close it and write the incident report into its thread.',
    },
    help: { form: '/incident help', does: 'This help.' },
  },
  '/deploy': {
    lock: {
      form: '/deploy lock <service> [env] <reason>',
      does: 'Freeze deploys: no new rollout starts. Rollbacks still run.',
    },
    unlock: { form: '/deploy unlock <service> [env]', does: 'Lift the freeze.' },
    locks: {
      form: '/deploy locks',
      does: 'Every deploy lock and freeze, and the scheduled freeze windows of the next 7 days.',
    },
    help: { form: '/deploy help', does: 'This help.' },
  },
  '/validate': {
    run: {
      form: '/validate <env> [<env>...] [--baseline] [--phase <phase>] [--sha <commit> | --image <tag>]',
      does: "Run the environment's validation matrix (seed 002): a card in this channel, results.tsv and SUMMARY.md in its thread (and the environment's report sinks), then the go/no-go verdict. Several environments (/validate staging prod) run as one run with a verdict for each. --baseline records without gating (pre-cutover capture); --phase adds the lanes of that phase (legacy-deletion: fresh DB backups); --sha or --image names what is released (external CI lanes read its result; default: what the service serves). Deployers, approvers and admins of each environment may run it.",
    },
    files: {
      form: '/validate files <run-id>',
      does: 'Upload the files of a finished run into its thread (and its report sinks) again, when the upload failed.',
    },
    help: { form: '/validate help', does: 'This help.' },
  },
  '/route': {
    status: {
      form: '/route status <service> [env]',
      does: "The route split: mode, override (who set it, when) and what evaluate answers for the paths and cohorts of the service's route-split gates.",
    },
    override: {
      form: '/route override <service> [env] legacy|rust --reason "<text>"',
      does: "Override the route split. Follows the environment's approval policy (a request card approvers click); break-glass and admins act alone. Read back and audited.",
    },
    clear: {
      form: '/route clear <service> [env] --reason "<text>"',
      does: 'Lift the override (e.g. the legacy one a rollback set), with the same approvals.',
    },
    help: { form: '/route help', does: 'This help.' },
  },
  '/cutover': {
    stream: {
      form: '/cutover stream <service> [env] <stable-revision> <canary-revision> [--apply-route-flip] [--dual-run <legacy-url>] [--error-budget-consumed <percent>] [--live] [--during-freeze "<reason>"]',
      does: 'The production stream cutover train (seed 004): stream contract smokes on both aliases, the route flip (verified, or applied with --apply-route-flip), the smokes again, the canary rollback drill, an optional dual-run against legacy, then the hard gates. A dry run (the default) changes nothing; --live asks for approval before its first change, and a failed train flips the route back. summary.json and SUMMARY.md land in the thread. A live train is refused during a scheduled freeze window unless an admin gives --during-freeze and a reason.',
    },
    help: { form: '/cutover help', does: 'This help.' },
  },
  '/flag': {
    canary: {
      form: '/flag canary <config> [env] [--watch 5m] [--dry-run] [--during-freeze "<reason>"]',
      does: "The feature-flag canary of seed 003: prerequisites (sign-offs, shadow run, health), the flags' current values, a Prometheus baseline, approval where asked, flags on, smoke, then the watch window with the rollback triggers (golden_mismatch rolls back at once; error-rate and p95 deltas by profile). A breach turns the flags back off and says why; otherwise CANARY PASSED. The report lands in the thread. Refused during a scheduled freeze window unless an admin gives --during-freeze and a reason.",
    },
    signoff: {
      form: '/flag signoff <config> [env] <evidence-url> [--flag <name>]',
      does: "Record the sign-off a flag needs before its canary (seed 003's .m4_signoff): by someone in the runbook's signoff.by, audited, expiring after signoff.expiresAfter.",
    },
    off: {
      form: '/flag off <config> [env] --reason "<text>"',
      does: "Turn the flag set's flags back off (seed 003's manual rollback), by the rollback policy: break-glass and admins alone; during a canary, its requester and the approvers too.",
    },
    help: { form: '/flag help', does: 'This help.' },
  },
  '/report': {
    get: {
      form: '/report <run-id>',
      does: "A past evidence report (a rollout, a validation run, an incident) from the environment's durable sink (Cloud Storage, a GitHub repository), beyond Redis' 90 days: its files and the start of its Markdown.",
    },
    help: { form: '/report help', does: 'This help.' },
  },
  '/gates': {
    report: {
      form: '/gates report [service] [env] [--last <n>]',
      does: "Each gate's track record over the last n (default 40) finished rollouts it was evaluated in: how many it would have blocked, how many of those ended rolled back for cause (a true alarm) or promoted healthy (a false alarm), and the rollbacks for cause it missed. For shadow and advisory gates, the evidence to promote them to enforce. Only you see it.",
    },
    help: { form: '/gates help', does: 'This help.' },
  },
};

const TITLE: Record<Command, string> = {
  '/canary': '/canary: staged canary rollouts',
  '/rollback': '/rollback: roll a service back now',
  '/incident': '/incident: incident threads and reports',
  '/deploy': '/deploy: deploy freezes',
  '/validate': '/validate: the validation matrix and its go/no-go verdict',
  '/route': '/route: the route split (seed 000)',
  '/cutover': '/cutover: the production stream cutover train (seed 004)',
  '/flag': '/flag: feature-flag canaries (seed 003)',
  '/report': '/report: past evidence reports, beyond Redis',
  '/gates': "/gates: the gates' track record",
};

const EXAMPLES: Record<Command, string[]> = {
  '/canary': [
    '/canary start v1.42.0',
    '/canary start control v1.42.0 prod --dry-run',
    '/canary status control',
    '/canary abort control wrong tag',
  ],
  '/rollback': [
    '/rollback control prod --reason "5xx spike after v1.42.0"',
    '/rollback control --to control-00041-abc --traffic-only --reason "bad migration"',
  ],
  '/incident': [
    '/incident open control prod login errors',
    '/incident note restarted the worker pool',
    '/incident close fixed by rollback',
  ],
  '/deploy': [
    '/deploy lock control prod end-of-quarter freeze',
    '/deploy unlock control prod',
    '/deploy locks',
  ],
  '/validate': [
    '/validate staging',
    '/validate staging prod',
    '/validate prod --baseline',
    '/validate prod --phase legacy-deletion --sha 1a2b3c4',
    '/validate files val-staging-20261130T101500-1a2b',
  ],
  '/route': [
    '/route status control prod',
    '/route override control prod legacy --reason "login errors on rust"',
    '/route clear control prod --reason "fixed in v1.43.0"',
  ],
  '/cutover': [
    '/cutover stream control prod control-00041-abc control-00042-def',
    '/cutover stream control prod control-00041-abc control-00042-def --apply-route-flip --live',
  ],
  '/flag': [
    '/flag signoff m4-canary staging https://ci.example.com/shadow-run/42',
    '/flag canary m4-canary staging --watch 5m',
    '/flag off m4-canary staging --reason "golden mismatches in the logs"',
  ],
  '/report': ['/report control-prod-20261130T101500-1a2b'],
  '/gates': ['/gates report', '/gates report control prod --last 100'],
};

const inline = (text: string) => code(text);

/** The right form of one subcommand ("Usage: `...`"), or every form of the command, one a line. */
export function usage(command: Command, sub?: string): Mrkdwn {
  const forms = FORMS[command];
  const one = sub === undefined ? undefined : forms[sub];
  if (one) return md`Usage: ${inline(one.form)}`;
  if (command === '/rollback') return md`Usage: ${inline(forms.rollback?.form ?? command)}`;
  return md`Usage:\n${mdJoin(
    Object.values(forms).map((f) => inline(f.form)),
    '\n',
  )}`;
}

export function help(command: Command): SlackMessage {
  const forms = Object.values(FORMS[command]).map((f) => md`${inline(f.form)}\n${escapeText(f.does)}\n`);
  const examples = EXAMPLES[command].map((e) => md`• ${inline(e)}`);
  return message(md`${command} help`, [
    header(TITLE[command]),
    ...lineSections(forms),
    section(md`*Examples*\n${mdJoin(examples, '\n')}`),
  ]);
}
