import type { TimeWindow } from '../../gates/ports/monitoring.ts';
import { PlatformError } from '../../runbooks/ports/errors.ts';

// Cloud Logging filters built by shiftgate: the service, the revisions and an explicit window always
// come first, then the caller's filter in parentheses. Without a timestamp restriction the library would
// add "the last 24 hours" on its own; with one, it sends the filter untouched.

export interface FilterScope {
  service: string;
  location?: string;
  /** Empty: every revision of the service. */
  revisions: readonly string[];
  window: TimeWindow;
}

/** A Logging string literal. */
export function quote(value: string): string {
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/** `field=("a" OR "b")`, or `field="a"` for one value. */
export function anyOf(field: string, values: readonly string[]): string {
  return values.length === 1
    ? `${field}=${quote(values[0] as string)}`
    : `${field}=(${values.map(quote).join(' OR ')})`;
}

export function scopeFilter(scope: FilterScope): string {
  const { start, end } = scope.window;
  if (!(start.getTime() < end.getTime())) {
    throw new PlatformError(
      'logging',
      'invalid',
      `the window must end after it starts (${iso(start)}, ${iso(end)})`,
    );
  }
  return [
    'resource.type="cloud_run_revision"',
    `resource.labels.service_name=${quote(scope.service)}`,
    ...(scope.location ? [`resource.labels.location=${quote(scope.location)}`] : []),
    ...(scope.revisions.length ? [anyOf('resource.labels.revision_name', scope.revisions)] : []),
    `timestamp>=${quote(iso(start))}`,
    `timestamp<${quote(iso(end))}`,
  ].join(' AND ');
}

/** The scope ANDed with the caller's filter, which must not be able to close the parentheses around it. */
export function withScope(scope: FilterScope, filter: string): string {
  const inner = filter.trim();
  if (inner === '') throw new PlatformError('logging', 'invalid', 'an empty Cloud Logging filter');
  if (!balanced(inner)) {
    throw new PlatformError('logging', 'invalid', `unbalanced parentheses or quotes in the filter: ${inner}`);
  }
  return `${scopeFilter(scope)} AND (${inner})`;
}

/** A field path for an event name: jsonPayload.event, labels.kind ... */
export function checkField(field: string): string {
  if (!/^[A-Za-z_]\w*(\.[\w-]+)*$/.test(field)) {
    throw new PlatformError('logging', 'invalid', `not a Cloud Logging field path: ${field}`);
  }
  return field;
}

function balanced(filter: string): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < filter.length; i++) {
    const c = filter[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '(') depth++;
    else if (c === ')' && --depth < 0) return false;
  }
  return depth === 0 && !inString;
}

const iso = (date: Date) => date.toISOString();
