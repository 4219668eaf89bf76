import { lineSections, message, type SlackMessage, section } from './message.ts';

// Each command's help, and the one-line right form that follows every error message.

type Command = '/canary' | '/rollback' | '/incident' | '/deploy';

const FORMS: Record<Command, Record<string, string>> = {
  '/canary': {
    start: '/canary start [service] <tag> [env] [--dry-run]',
    status: '/canary status [service] [env]',
    list: '/canary list',
    pause: '/canary pause [service] [env]',
    resume: '/canary resume [service] [env]',
    abort: '/canary abort [service] [env] [reason]',
    promote: '/canary promote [service] [env]   (admins: skips the waits, never the gates)',
  },
  '/rollback': {
    rollback:
      '/rollback <service> [env] [--to <revision>] [--route-only | --traffic-only] [--dry-run] --reason "<text>"',
  },
  '/incident': {
    open: '/incident open <service> [env] <summary>',
    note: '/incident note <text>',
    close: '/incident close [summary]',
  },
  '/deploy': {
    lock: '/deploy lock <service> [env] <reason>',
    unlock: '/deploy unlock <service> [env]',
    locks: '/deploy locks',
  },
};

const EXAMPLES: Record<Command, string[]> = {
  '/canary': [
    '/canary start v1.42.0',
    '/canary start control v1.42.0 prod --dry-run',
    '/canary abort wrong tag',
  ],
  '/rollback': [
    '/rollback control prod --reason "5xx spike after v1.42.0"',
    '/rollback control --to control-00041-abc --reason "bad migration"',
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
};

/** The right form: of one subcommand, or every form of the command. */
export function usage(command: Command, sub?: string): string {
  const forms = FORMS[command];
  const one = sub ? forms[sub] : undefined;
  return one
    ? `Usage: \`${one}\``
    : `Usage:\n${Object.values(forms)
        .map((f) => `\`${f}\``)
        .join('\n')}`;
}

export function help(command: Command): SlackMessage {
  const forms = Object.values(FORMS[command]).map((f) => `• \`${f}\``);
  const examples = EXAMPLES[command].map((e) => `• \`${e}\``);
  return message(`${command} help`, [
    section(`*${command}*`),
    ...lineSections(forms),
    section('*Examples*'),
    ...lineSections(examples),
  ]);
}
