import { InvalidArgument } from '../google-rest.ts';

// The part of Cloud Build's list filter the twin speaks: `field="value"` terms joined by AND, on the
// fields the API evaluates (gcloud's cloudbuild filter rewrite lists them: tags, status, images,
// results.images.*, build_id, trigger_id, ...). Anything else, a substitution among them (gcloud filters
// those itself, on what the API listed), is refused with 400: the twin never matches more loosely than
// the real service.

export interface FilterableBuild {
  id: string;
  status: string;
  tags: string[];
  substitutions: Record<string, string>;
  images: string[];
  digests: string[];
  triggerId: string;
}

type Term = { field: string; value: string };

const TERM = /^([a-z_]+(?:\.[A-Za-z0-9_.]+)?)\s*=\s*"((?:[^"\\]|\\.)*)"$/;

export function parseBuildFilter(filter: string): Term[] {
  if (!filter.trim()) return [];
  if (/\bOR\b|\bNOT\b|[()<>]|!=/.test(filter))
    throw new InvalidArgument(`twin: only field="value" terms joined by AND are supported: ${filter}`);
  return filter.split(/\s+AND\s+/).map((raw) => {
    const match = TERM.exec(raw.trim());
    if (!match) throw new InvalidArgument(`Invalid filter: cannot parse "${raw.trim()}"`);
    const field = match[1] as string;
    const value = (match[2] as string).replace(/\\(.)/g, '$1');
    if (!/^(tags|status|images|build_id|trigger_id|results\.images\.digest)$/.test(field))
      throw new InvalidArgument(`Invalid filter: unsupported field "${field}"`);
    return { field, value };
  });
}

export function matches(build: FilterableBuild, terms: readonly Term[]): boolean {
  return terms.every(({ field, value }) => {
    if (field === 'tags') return build.tags.includes(value);
    if (field === 'status') return build.status === value;
    if (field === 'images') return build.images.includes(value);
    if (field === 'build_id') return build.id === value;
    if (field === 'trigger_id') return build.triggerId === value;
    return build.digests.includes(value); // results.images.digest
  });
}
