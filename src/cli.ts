#!/usr/bin/env node
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { ConfigError, configJsonSchema, formatIssue, loadConfig } from './config/index.ts';
import { configWarnings } from './config/warnings.ts';

// The shiftgate command-line tool: checks a runbook config before it reaches the bot.

const USAGE = `usage:
  shiftgate config validate <file.yaml>...   check runbook configs; prints every error with file:line:col and path
  shiftgate config schema [--out <file>]     print (or write) the JSON Schema of the config, for editors
  shiftgate help                             this text`;

async function validate(files: string[]): Promise<number> {
  if (files.length === 0) {
    console.error(`shiftgate config validate: name at least one file\n${USAGE}`);
    return 2;
  }
  let failed = 0;
  for (const file of files) {
    try {
      const config = await loadConfig(file);
      const count = (map: object, what: string) => {
        const n = Object.keys(map).length;
        return `${n} ${what}${n === 1 ? '' : 's'}`;
      };
      console.log(
        `${file}: valid (${count(config.environments, 'environment')}, ${count(config.services, 'service')}, ` +
          `${count(config.runbooks, 'runbook')}, ${count(config.gates, 'gate')})`,
      );
      for (const warning of configWarnings(config)) console.error(`${file}: warning: ${warning}`);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      failed += 1;
      for (const issue of error.issues) console.error(formatIssue(issue));
      const n = error.issues.length;
      console.error(`${file}: invalid, ${n} ${n === 1 ? 'error' : 'errors'}`);
    }
  }
  return failed > 0 ? 1 : 0;
}

async function schema(out: string | undefined): Promise<number> {
  const text = `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
  if (!out) {
    process.stdout.write(text);
    return 0;
  }
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, text);
  console.log(`wrote ${out}`);
  return 0;
}

const OPTIONS = { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const;

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<
    typeof parseArgs<{ args: string[]; options: typeof OPTIONS; allowPositionals: true }>
  >;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true });
  } catch (error) {
    console.error(`shiftgate: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const [group, command, ...rest] = parsed.positionals;
  if (parsed.values.help || group === 'help') {
    console.log(USAGE);
    return 0;
  }
  if (group === 'config' && command === 'validate') return validate(rest);
  if (group === 'config' && command === 'schema' && rest.length === 0) return schema(parsed.values.out);
  console.error(
    `shiftgate: ${group ? `unknown command "${parsed.positionals.join(' ')}"` : 'no command given'}\n${USAGE}`,
  );
  return 2;
}

process.exitCode = await main(process.argv.slice(2));
