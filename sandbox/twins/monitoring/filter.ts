import { InvalidArgument } from '../google-rest.ts';

// The subset of Cloud Monitoring's filter language the twin applies (cloud.google.com/monitoring/api/v3/filters):
//   restriction { AND restriction }
//   restriction = [NOT] selector ("=" | "!=") value
//   selector    = metric.type | resource.type | project | metric.labels.K | resource.labels.K
//                 (also the singular metric.label.K / resource.label.K)
//   value       = "string" | one_of("a", ...) | starts_with("a") | ends_with("a") | has_substring("a")
//                 | monitoring.regex.full_match("re")
// OR, parentheses and anything else answer 400 INVALID_ARGUMENT, so a filter the twin cannot apply
// never quietly matches everything. Matching is case-sensitive, as Monitoring's is.

export interface SeriesIdentity {
  project: string;
  metric: { type: string; labels: Record<string, string> };
  resource: { type: string; labels: Record<string, string> };
}

interface Restriction {
  selector: string;
  negate: boolean;
  test: (value: string) => boolean;
  /** The string compared with, for selector = "string". */
  literal?: string;
}

export interface MonitoringFilter {
  metricType: string;
  matches(series: SeriesIdentity): boolean;
}

const TOKEN = /\s*(?:("(?:[^"\\]|\\.)*")|(!=|=|:|\(|\)|,)|([A-Za-z_][\w./-]*))/y;

function tokenize(filter: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < filter.length) {
    const start = TOKEN.lastIndex;
    if (/^\s*$/.test(filter.slice(start))) break;
    const match = TOKEN.exec(filter);
    if (!match) {
      throw new InvalidArgument(
        `Invalid filter: unexpected "${filter.slice(start).trim().slice(0, 20)}" (twin)`,
      );
    }
    tokens.push((match[1] ?? match[2] ?? match[3]) as string);
  }
  return tokens;
}

function unquote(token: string | undefined): string {
  if (!token?.startsWith('"'))
    throw new InvalidArgument(`Invalid filter: expected a quoted string, got ${token ?? 'the end'}`);
  return token.slice(1, -1).replace(/\\(.)/g, '$1');
}

const FUNCTIONS: Record<string, (args: string[]) => (value: string) => boolean> = {
  one_of: (args) => (value) => args.includes(value),
  starts_with:
    ([prefix = '']) =>
    (value) =>
      value.startsWith(prefix),
  ends_with:
    ([suffix = '']) =>
    (value) =>
      value.endsWith(suffix),
  has_substring:
    ([part = '']) =>
    (value) =>
      value.includes(part),
  'monitoring.regex.full_match': ([source = '']) => {
    const pattern = new RegExp(`^(?:${source})$`);
    return (value) => pattern.test(value);
  },
};

export function parseMonitoringFilter(filter: string): MonitoringFilter {
  const tokens = tokenize(filter);
  const restrictions: Restriction[] = [];
  let i = 0;
  const next = () => tokens[i++];
  while (i < tokens.length) {
    if (restrictions.length > 0) {
      const joiner = next();
      if (joiner !== 'AND') {
        throw new InvalidArgument(
          `Invalid filter: the twin supports only AND between restrictions, got ${joiner}`,
        );
      }
    }
    let negate = false;
    if (tokens[i] === 'NOT') {
      negate = true;
      i++;
    }
    const selector = next();
    if (!selector || !/^[A-Za-z_]/.test(selector) || ['AND', 'OR', 'NOT'].includes(selector)) {
      throw new InvalidArgument(`Invalid filter: expected a selector, got ${selector ?? 'the end'}`);
    }
    checkSelector(selector);
    const operator = next();
    if (operator !== '=' && operator !== '!=') {
      throw new InvalidArgument(
        `Invalid filter: the twin supports = and != after ${selector}, got ${operator}`,
      );
    }
    let test: (value: string) => boolean;
    let literal: string | undefined;
    if (tokens[i]?.startsWith('"')) {
      const text = unquote(next());
      literal = text;
      test = (value) => value === text;
    } else {
      const name = next() ?? '';
      const make = FUNCTIONS[name];
      if (!make || next() !== '(')
        throw new InvalidArgument(`Invalid filter: unsupported value ${name} (twin)`);
      const args = [unquote(next())];
      while (tokens[i] === ',') {
        i++;
        args.push(unquote(next()));
      }
      if (next() !== ')')
        throw new InvalidArgument(`Invalid filter: expected ) after the arguments of ${name}`);
      test = make(args);
    }
    restrictions.push({
      selector,
      negate: negate !== (operator === '!='),
      test,
      ...(literal === undefined ? {} : { literal }),
    });
  }

  const types = restrictions.filter((r) => r.selector === 'metric.type' && !r.negate);
  const metricType = types.length === 1 ? types[0]?.literal : undefined;
  if (!metricType) {
    throw new InvalidArgument(
      `Invalid filter: it must name exactly one metric type, as metric.type = "..." (${JSON.stringify(filter)})`,
    );
  }
  return {
    metricType,
    matches: (series) => restrictions.every((r) => r.test(selectorValue(series, r.selector)) !== r.negate),
  };
}

function checkSelector(selector: string): void {
  if (['metric.type', 'resource.type', 'project'].includes(selector)) return;
  if (/^(metric|resource)\.labels?\.[\w-]+$/.test(selector)) return;
  throw new InvalidArgument(`Invalid filter: unknown selector ${selector} (twin)`);
}

function selectorValue(series: SeriesIdentity, selector: string): string {
  if (selector === 'metric.type') return series.metric.type;
  if (selector === 'resource.type') return series.resource.type;
  if (selector === 'project') return series.project;
  const [owner, , key] = selector.split('.') as ['metric' | 'resource', string, string];
  return series[owner].labels[key] ?? '';
}
