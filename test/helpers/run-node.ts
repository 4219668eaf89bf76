import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a script of the project with this test's Node, as a user would, and collects its exit and output. */
export async function runNode(args: string[], env?: NodeJS.ProcessEnv): Promise<Ran> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, args, env ? { env } : {});
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as Ran;
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}
