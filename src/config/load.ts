import { readFile } from 'node:fs/promises';
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue, formatPath } from './errors.ts';
import { type ShiftgateConfig, shiftgateConfig } from './schema.ts';

type Path = readonly PropertyKey[];

/** The node at a path, or the deepest node that exists on the way (a missing key is reported at its parent). */
function locate(root: Node | null, path: Path): Node | null {
  let node = root;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
      if (!pair) return node;
      node = (pair.value as Node | null) ?? (pair.key as Node);
    } else if (isSeq(node) && typeof key === 'number' && node.items[key]) {
      node = node.items[key] as Node;
    } else {
      return node;
    }
  }
  return node;
}

/** The key node of the last segment, where an unknown key should be pointed at. */
function locateKey(root: Node | null, path: Path, key: string): Node | null {
  const parent = locate(root, path);
  if (!isMap(parent)) return parent;
  const pair = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
  return (pair?.key as Node | undefined) ?? parent;
}

// Zod's messages, reworded to say what was expected and what the file holds instead.
function describe(issue: z.core.$ZodIssue, node: Node | null): string {
  const got = isScalar(node) && node.value !== null ? `, got ${JSON.stringify(node.value)}` : '';
  const plain = (message: string) =>
    message
      .replace(/^(Invalid (input|option|discriminator value)|Too (small|big))[:.] ?/, '')
      .replace(/^[Ee]xpected /, 'expected ')
      .replace(/, received \w+$/, '');
  switch (issue.code) {
    case 'invalid_type':
      return node === null ? `missing: ${plain(issue.message)}` : `${plain(issue.message)}${got}`;
    case 'invalid_key':
      return `invalid name${got}: ${issue.issues.map((i) => i.message).join('; ')}`;
    case 'invalid_value':
    case 'invalid_union':
    case 'invalid_format':
    case 'too_small':
    case 'too_big':
      return `${plain(issue.message)}${got}`;
    default:
      return issue.message;
  }
}

/** Parses and validates YAML text; returns the config or every problem, each located in the file. */
export function parseConfig(
  text: string,
  file: string,
): { ok: true; config: ShiftgateConfig } | { ok: false; issues: ConfigIssue[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const at = (node: Node | null | undefined) => {
    const offset = node?.range?.[0];
    if (offset === undefined) return {};
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
  if (doc.errors.length > 0) {
    return {
      ok: false,
      issues: doc.errors.map((e) => {
        const { line, col } = lines.linePos(e.pos[0]);
        return { file, path: '', line, column: col, message: `YAML syntax: ${e.message.split('\n')[0]}` };
      }),
    };
  }
  const result = shiftgateConfig.safeParse(doc.toJS() ?? {});
  if (result.success) return { ok: true, config: result.data };
  const issues = result.error.issues.flatMap((issue): ConfigIssue[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        file,
        path: formatPath([...issue.path, key]),
        ...at(locateKey(doc.contents, issue.path, key)),
        message:
          'unknown key (check its spelling and where it is indented; see schema/shiftgate.schema.json)',
      }));
    }
    const node =
      issue.code === 'invalid_key'
        ? locateKey(doc.contents, issue.path.slice(0, -1), String(issue.path.at(-1)))
        : locate(doc.contents, issue.path);
    // A node that is its parent's means the key is absent: the message says "missing".
    const exact =
      issue.path.length > 0 && node === locate(doc.contents, issue.path.slice(0, -1)) ? null : node;
    return [{ file, path: formatPath(issue.path), ...at(node), message: describe(issue, exact) }];
  });
  issues.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
  return { ok: false, issues };
}

/** Reads, parses and validates a config file; throws ConfigError with every problem found. */
export async function loadConfig(file: string): Promise<ShiftgateConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (error as Error).message;
    throw new ConfigError([{ file, path: '', message: `cannot read the config: ${reason}` }]);
  }
  const result = parseConfig(text, file);
  if (!result.ok) throw new ConfigError(result.issues);
  return result.config;
}
