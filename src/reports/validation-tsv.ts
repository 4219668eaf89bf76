import type { CheckResult, ValidationRun } from '../validation/types.ts';

// results.tsv of a validation run (seed 002): a header row, then one row per check in matrix order, the
// environment first (a run over staging and prod has the rows of each, environment by environment).
// Values are escaped as in PostgreSQL's text format (backslash, tab, newline, carriage return), so every
// row is one line and splits on tabs into exactly the header's columns.

export const RESULTS_TSV = 'results.tsv';

export const TSV_COLUMNS = [
  'env',
  'lane',
  'check',
  'service',
  'required',
  'status',
  'observed',
  'expected',
  'result',
  'evidence',
  'reason',
  'at',
  'duration_ms',
] as const;

export function resultsTsv(run: Pick<ValidationRun, 'results'>): string {
  const rows = run.results.map((r) => rowOf(r).map(escapeTsv).join('\t'));
  return `${[TSV_COLUMNS.join('\t'), ...rows].join('\n')}\n`;
}

function rowOf(r: CheckResult): string[] {
  return [
    r.env,
    r.lane,
    r.check,
    r.service,
    r.required ? 'required' : 'optional',
    r.status,
    r.observed,
    r.expected,
    r.line,
    r.evidence,
    r.reason ?? '',
    r.at,
    String(r.durationMs),
  ];
}

export function escapeTsv(value: string): string {
  return value.replace(
    /[\\\t\n\r]/g,
    (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c] as string,
  );
}

/** The inverse of escapeTsv, for readers of the file (and its tests). */
export function unescapeTsv(value: string): string {
  return value.replace(
    /\\([\\tnr])/g,
    (_, c: string) => ({ '\\': '\\', t: '\t', n: '\n', r: '\r' })[c] as string,
  );
}
