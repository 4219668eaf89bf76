import {
  Cmd,
  Copy,
  DockerfileParser,
  Env,
  From,
  type Instruction,
  JSONInstruction,
  Run,
} from 'dockerfile-ast';

// The Dockerfile read as a plan the tests can replay without a Docker engine: its stages, each with
// its base image, environment, user, command and the COPY and RUN steps in order. An instruction the
// replay cannot reproduce is a problem, not something skipped: the test fails and names it, so the
// Dockerfile cannot grow a step the test does not make.

export type Step =
  | { kind: 'workdir'; path: string; line: number }
  | { kind: 'copy'; from?: string; sources: string[]; dest: string; line: number }
  | { kind: 'run'; command: string; line: number };

export interface Stage {
  /** `FROM image AS name`; undefined for an unnamed stage. */
  name?: string;
  image: string;
  env: Record<string, string>;
  user?: string;
  /** Exec form only (a shell-form CMD would not receive SIGTERM as PID 1). */
  cmd?: string[];
  expose: string[];
  steps: Step[];
}

export interface Plan {
  stages: Stage[];
  /** One line each, naming the Dockerfile line; empty when everything can be replayed. */
  problems: string[];
}

/** Instructions that change nothing the replay has to reproduce. */
const METADATA = new Set(['LABEL']);

export function planDockerfile(text: string): Plan {
  const stages: Stage[] = [];
  const problems: string[] = [];
  const refuse = (i: Instruction, why: string) =>
    problems.push(`line ${i.getRange().start.line + 1}: ${i.getKeyword()} ${why}`);

  for (const i of DockerfileParser.parse(text).getInstructions()) {
    const line = i.getRange().start.line + 1;
    if (i instanceof From) {
      const stage: Stage = { image: i.getImage() ?? '', env: {}, expose: [], steps: [] };
      const name = i.getBuildStage();
      if (name) stage.name = name;
      stages.push(stage);
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) {
      refuse(i, 'comes before any FROM');
      continue;
    }
    const flags = i instanceof JSONInstruction ? i.getFlags() : [];
    const keyword = i.getKeyword();
    if (i instanceof Copy) {
      const unknown = flags.filter((f) => f.getName() !== 'from');
      const args = i.getArguments().map((a) => a.getValue());
      if (unknown.length > 0) refuse(i, `--${unknown[0]?.getName()} is not replayed by the test`);
      else if (i.getJSONStrings().length > 0) refuse(i, 'in JSON form is not replayed by the test');
      else if (args.length < 2) refuse(i, 'needs a source and a destination');
      else {
        const from = i.getFromFlag()?.getValue() ?? undefined;
        stage.steps.push({
          kind: 'copy',
          ...(from ? { from } : {}),
          sources: args.slice(0, -1),
          dest: args.at(-1) as string,
          line,
        });
      }
    } else if (i instanceof Run) {
      // --mount (caches, secrets) only changes how the build runs, never what the command does.
      const other = flags.filter((f) => f.getName() !== 'mount');
      if (other.length > 0) refuse(i, `--${other[0]?.getName()} is not replayed by the test`);
      else if (i.getJSONStrings().length > 0) refuse(i, 'in exec form is not replayed by the test');
      else stage.steps.push({ kind: 'run', command: i.getArgumentsContent() ?? '', line });
    } else if (i instanceof Env) {
      for (const p of i.getProperties()) stage.env[p.getName()] = p.getValue() ?? '';
    } else if (i instanceof Cmd) {
      const args = i.getJSONStrings().map((s) => s.getJSONValue());
      if (args.length === 0) refuse(i, 'must use the exec form ["node", ...] so the process gets SIGTERM');
      else stage.cmd = args;
    } else if (keyword === 'WORKDIR') {
      stage.steps.push({ kind: 'workdir', path: i.getArgumentsContent() ?? '', line });
    } else if (keyword === 'USER') {
      stage.user = i.getArgumentsContent() ?? '';
    } else if (keyword === 'EXPOSE') {
      stage.expose.push(...i.getArguments().map((a) => a.getValue()));
    } else if (!METADATA.has(keyword)) {
      refuse(i, 'is not replayed by the test: teach test/deploy/replay.ts what it does');
    }
  }
  if (stages.length === 0) problems.push('no FROM: the Dockerfile has no stage');
  return { stages, problems };
}

/** The stage a `COPY --from=` names: by name or by index. */
export function stageNamed(plan: Plan, ref: string): number {
  const index = plan.stages.findIndex((s) => s.name === ref);
  if (index >= 0) return index;
  if (/^\d+$/.test(ref) && Number(ref) < plan.stages.length) return Number(ref);
  throw new Error(`COPY --from=${ref}: no stage of that name (an outside image is not replayed by the test)`);
}
