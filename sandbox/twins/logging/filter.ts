import { InvalidArgument } from '../google-rest.ts';

// The subset of the Logging query language (cloud.google.com/logging/docs/view/logging-query-language,
// grammar after AIP-160) the twin applies to LogEntry JSON:
//
//   filter      = [expression]
//   expression  = sequence { "AND" sequence }      AND binds loosest,
//   sequence    = factor { factor }                side by side means AND,
//   factor      = term { "OR" term }               OR binds tighter than AND (unlike most languages),
//   term        = ["NOT" | "-"] ( "(" expression ")" | restriction )
//   restriction = path op value | path op "(" value { ["AND" | "OR"] value } ")" | path ":*"
//   op          = "=" | "!=" | "<" | "<=" | ">" | ">=" | ":" | "=~" | "!~"
//   path        = a LogEntry field, then .key or ."quoted key" segments (jsonPayload.a.b, labels."x/y")
//
// Matching: strings compare without regard to case; ":" is a substring test (on an object, any value
// inside it); "=~" is a regular expression search (JavaScript syntax, close to RE2 for common use);
// numbers compare as numbers; timestamp/receiveTimestamp as instants; severity by level (INFO < ERROR).
// A restriction on a missing field is false, so NOT of it is true; "!=" needs the field present.
// Not supported, answered with 400 INVALID_ARGUMENT rather than matched loosely: global (free-text)
// restrictions, functions (SEARCH, log_id, sample ...), lower-case and/or, unknown top-level fields.

export type Matcher = (entry: Record<string, unknown>) => boolean;

const TOP_LEVEL = new Set([
  'logName',
  'resource',
  'timestamp',
  'receiveTimestamp',
  'severity',
  'insertId',
  'httpRequest',
  'labels',
  'operation',
  'trace',
  'spanId',
  'traceSampled',
  'sourceLocation',
  'split',
  'textPayload',
  'jsonPayload',
  'protoPayload',
  'errorGroups',
]);

export const SEVERITY: Record<string, number> = {
  DEFAULT: 0,
  DEBUG: 100,
  INFO: 200,
  NOTICE: 300,
  WARNING: 400,
  ERROR: 500,
  CRITICAL: 600,
  ALERT: 700,
  EMERGENCY: 800,
};

type Op = '=' | '!=' | '<' | '<=' | '>' | '>=' | ':' | '=~' | '!~';

type Token =
  | { kind: 'word'; text: string; at: number }
  | { kind: 'string'; text: string; at: number }
  | { kind: 'path'; segments: string[]; at: number }
  | { kind: 'op'; text: Op; at: number }
  | { kind: '(' | ')' | '*'; at: number };

const OPS: Op[] = ['>=', '<=', '!=', '=~', '!~', '=', '<', '>', ':'];
const WORD_CHAR = /[^\s()"=<>!:~]/;

function syntax(message: string, at?: number): InvalidArgument {
  return new InvalidArgument(
    `Unparseable filter: ${message} ${at === undefined ? 'at the end' : `at column ${at + 1}`}`,
  );
}

function unsupported(message: string): InvalidArgument {
  return new InvalidArgument(`Invalid filter: ${message} (not supported by the twin)`);
}

function readString(text: string, start: number): { value: string; end: number } {
  let value = '';
  let i = start + 1;
  while (i < text.length && text[i] !== '"') {
    if (text[i] === '\\') {
      const next = text[i + 1];
      if (next === undefined) break;
      value += next === 'n' ? '\n' : next === 't' ? '\t' : next;
      i += 2;
    } else {
      value += text[i];
      i++;
    }
  }
  if (text[i] !== '"') throw syntax('unterminated string', start);
  return { value, end: i + 1 };
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '(' || c === ')') {
      tokens.push({ kind: c, at: i });
      i++;
    } else if (c === '"') {
      const { value, end } = readString(text, i);
      tokens.push({ kind: 'string', text: value, at: i });
      i = end;
    } else if (c === '*' && tokens.at(-1)?.kind === 'op') {
      tokens.push({ kind: '*', at: i });
      i++;
    } else {
      const op = OPS.find((candidate) => text.startsWith(candidate, i));
      if (op) {
        tokens.push({ kind: 'op', text: op, at: i });
        i += op.length;
        continue;
      }
      // A word, or a path whose segments after the first may be quoted: labels."k8s-pod/app".
      const start = i;
      const segments: string[] = [];
      let quoted = false;
      for (;;) {
        if (segments.length > 0 && text[i] === '"') {
          const { value, end } = readString(text, i);
          segments.push(value);
          quoted = true;
          i = end;
        } else {
          const from = i;
          while (i < text.length && WORD_CHAR.test(text[i] as string) && text[i] !== '.') i++;
          segments.push(text.slice(from, i));
        }
        if (text[i] !== '.') break;
        i++;
      }
      if (i === start) throw syntax(`unexpected "${c}"`, i);
      tokens.push(
        quoted
          ? { kind: 'path', segments, at: start }
          : { kind: 'word', text: segments.join('.'), at: start },
      );
    }
  }
  return tokens;
}

class Parser {
  private i = 0;
  private readonly tokens: Token[];
  constructor(tokens: Token[]) {
    this.tokens = tokens;
  }

  private peek(): Token | undefined {
    return this.tokens[this.i];
  }

  private isKeyword(token: Token | undefined, keyword: 'AND' | 'OR' | 'NOT'): boolean {
    return token?.kind === 'word' && token.text === keyword;
  }

  private endOfSequence(token: Token | undefined): boolean {
    return (
      token === undefined || token.kind === ')' || this.isKeyword(token, 'AND') || this.isKeyword(token, 'OR')
    );
  }

  parse(): Matcher {
    if (this.tokens.length === 0) return () => true;
    const matcher = this.expression();
    const rest = this.peek();
    if (rest) throw syntax(`unexpected ${describe(rest)}`, rest.at);
    return matcher;
  }

  private expression(): Matcher {
    const parts = [this.sequence()];
    while (this.isKeyword(this.peek(), 'AND')) {
      this.i++;
      parts.push(this.sequence());
    }
    return all(parts);
  }

  private sequence(): Matcher {
    const parts = [this.factor()];
    while (!this.endOfSequence(this.peek())) parts.push(this.factor());
    return all(parts);
  }

  private factor(): Matcher {
    const parts = [this.term()];
    while (this.isKeyword(this.peek(), 'OR')) {
      this.i++;
      parts.push(this.term());
    }
    return parts.length === 1 ? (parts[0] as Matcher) : (entry) => parts.some((part) => part(entry));
  }

  private term(): Matcher {
    const token = this.peek();
    if (this.isKeyword(token, 'NOT') || (token?.kind === 'word' && token.text === '-')) {
      this.i++;
      const inner = this.simple();
      return (entry) => !inner(entry);
    }
    if (token?.kind === 'word' && token.text.startsWith('-') && token.text.length > 1) {
      // "-field=value" negates; take the word apart and read the restriction without the dash.
      this.tokens[this.i] = { kind: 'word', text: token.text.slice(1), at: token.at + 1 };
      const inner = this.simple();
      return (entry) => !inner(entry);
    }
    return this.simple();
  }

  private simple(): Matcher {
    const token = this.peek();
    if (token === undefined) throw syntax('unexpected end of filter');
    if (token.kind === '(') {
      this.i++;
      const inner = this.expression();
      this.expect(')');
      return inner;
    }
    if (token.kind === 'string') throw unsupported(`a global restriction "${token.text}" (free-text search)`);
    if (token.kind !== 'word' && token.kind !== 'path')
      throw syntax(`unexpected ${describe(token)}`, token.at);
    if (token.kind === 'word' && ['AND', 'OR', 'NOT'].includes(token.text)) {
      throw syntax(`unexpected ${token.text}`, token.at);
    }
    this.i++;
    const path = token.kind === 'path' ? token.segments : token.text.split('.');
    const next = this.peek();
    if (next?.kind === '(') throw unsupported(`the function ${path.join('.')}()`);
    if (next?.kind !== 'op') {
      if (token.kind === 'word' && /^(and|or|not)$/i.test(token.text)) {
        throw unsupported(`"${token.text}" as a word: the operators are upper case AND, OR, NOT`);
      }
      throw unsupported(`a global restriction "${path.join('.')}" (free-text search)`);
    }
    this.i++;
    checkPath(path, token.at);
    return this.restriction(path, next.text);
  }

  private restriction(path: string[], op: Op): Matcher {
    const token = this.peek();
    if (token?.kind === '*') {
      this.i++;
      if (op !== ':') throw syntax(`* needs the : operator`, token.at);
      return (entry) => present(lookup(entry, path));
    }
    if (token?.kind === '(') {
      // A value list: field=("a" OR "b") is field="a" OR field="b".
      this.i++;
      const groups: Matcher[][] = [[]];
      let wantValue = true;
      for (;;) {
        const item = this.peek();
        if (item === undefined) throw syntax('unterminated value list');
        if (item.kind === ')') {
          this.i++;
          break;
        }
        if (this.isKeyword(item, 'OR')) {
          this.i++;
          wantValue = true;
          continue;
        }
        if (this.isKeyword(item, 'AND')) {
          this.i++;
          groups.push([]);
          wantValue = true;
          continue;
        }
        if (!wantValue) groups.push([]); // side by side means AND here too
        (groups.at(-1) as Matcher[]).push(compare(path, op, this.value()));
        wantValue = false;
      }
      if (groups.some((group) => group.length === 0)) throw syntax('empty value list', token.at);
      return (entry) => groups.every((group) => group.some((matcher) => matcher(entry)));
    }
    return compare(path, op, this.value());
  }

  private value(): string {
    const token = this.peek();
    if (token?.kind === 'string' || (token?.kind === 'word' && !['AND', 'OR', 'NOT'].includes(token.text))) {
      this.i++;
      return token.text;
    }
    throw syntax(`expected a value, got ${token ? describe(token) : 'nothing'}`, token?.at);
  }

  private expect(kind: ')'): void {
    const token = this.peek();
    if (token?.kind !== kind) throw syntax(`expected ${kind}`, token?.at);
    this.i++;
  }
}

function describe(token: Token): string {
  if (token.kind === 'word' || token.kind === 'string') return `"${token.text}"`;
  if (token.kind === 'op') return token.text;
  if (token.kind === 'path') return token.segments.join('.');
  return token.kind;
}

function all(parts: Matcher[]): Matcher {
  return parts.length === 1 ? (parts[0] as Matcher) : (entry) => parts.every((part) => part(entry));
}

function checkPath(path: string[], at: number): void {
  const [head] = path;
  if (!head || path.some((segment) => segment === '')) throw syntax(`bad field path ${path.join('.')}`, at);
  if (!TOP_LEVEL.has(head))
    throw new InvalidArgument(`Invalid filter: unknown field "${head}" in ${path.join('.')}`);
}

function lookup(entry: Record<string, unknown>, path: string[]): unknown[] {
  let values: unknown[] = [entry];
  for (const segment of path) {
    values = values.flatMap((value) => {
      const inner =
        value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[segment] : undefined;
      return Array.isArray(inner) ? inner : inner === undefined ? [] : [inner];
    });
  }
  return values;
}

const present = (values: unknown[]) => values.some((value) => value !== null && value !== undefined);

function compare(path: string[], op: Op, raw: string): Matcher {
  const field = path.join('.');
  if (op === '=~' || op === '!~') {
    let pattern: RegExp;
    try {
      pattern = new RegExp(raw);
    } catch {
      throw new InvalidArgument(`Invalid filter: bad regular expression "${raw}" for ${field}`);
    }
    const hit = (value: unknown) => typeof value !== 'object' && pattern.test(String(value));
    return op === '=~'
      ? (entry) => lookup(entry, path).some(hit)
      : (entry) => present(lookup(entry, path)) && !lookup(entry, path).some(hit);
  }
  const test = valueTest(path, op, raw);
  if (op === '!=') return (entry) => present(lookup(entry, path)) && !lookup(entry, path).some(test);
  return (entry) => lookup(entry, path).some(test);
}

function valueTest(path: string[], op: Op, raw: string): (value: unknown) => boolean {
  const field = path.join('.');
  const order = (diff: number) => {
    switch (op) {
      case '<':
        return diff < 0;
      case '<=':
        return diff <= 0;
      case '>':
        return diff > 0;
      case '>=':
        return diff >= 0;
      default:
        return diff === 0; // = and != (negated by the caller)
    }
  };
  if (path.length === 1 && (field === 'timestamp' || field === 'receiveTimestamp')) {
    const wanted = Date.parse(raw);
    if (Number.isNaN(wanted))
      throw new InvalidArgument(`Invalid filter: "${raw}" is not a timestamp (${field})`);
    if (op === ':') throw unsupported(`: on ${field}`);
    return (value) => typeof value === 'string' && order(Date.parse(value) - wanted);
  }
  if (field === 'severity') {
    const wanted = /^\d+$/.test(raw) ? Number(raw) : SEVERITY[raw.toUpperCase()];
    if (wanted === undefined) throw new InvalidArgument(`Invalid filter: unknown severity "${raw}"`);
    return (value) => {
      const level = typeof value === 'number' ? value : SEVERITY[String(value).toUpperCase()];
      return level !== undefined && (op === ':' ? level === wanted : order(level - wanted));
    };
  }
  const number = raw.trim() !== '' && Number.isFinite(Number(raw)) ? Number(raw) : undefined;
  const lower = raw.toLowerCase();
  return (value) => {
    if (value === null || value === undefined) return false;
    if (typeof value === 'object') return op === ':' && containsText(value, lower);
    if (op === ':') return String(value).toLowerCase().includes(lower);
    const numeric = typeof value === 'number' || (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value));
    if (numeric && number !== undefined) return order(Number(value) - number);
    const text = String(value).toLowerCase();
    return order(text < lower ? -1 : text > lower ? 1 : 0);
  };
}

function containsText(value: unknown, lower: string): boolean {
  if (value === null || value === undefined) return false;
  if (typeof value === 'object')
    return Object.values(value as object).some((inner) => containsText(inner, lower));
  return String(value).toLowerCase().includes(lower);
}

/** Parses a filter into a matcher over LogEntry JSON; throws InvalidArgument (400) when it cannot. */
export function parseLoggingFilter(filter: string): Matcher {
  return new Parser(tokenize(filter)).parse();
}
