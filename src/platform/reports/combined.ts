import type { ReportSink, StoredReport } from '../../runbooks/ports/report-sink.ts';
import { failure } from './errors.ts';

// Several sinks as one (Cloud Storage and GitHub, in the configured order). A put goes to every sink at
// once and succeeds when at least one kept the file: the thread links every copy that was made and says
// which failed, and a redriven put (each sink is idempotent) fills in the missing ones. Reads take the
// first sink that has the file. Wrapping a single sink is fine too: `put` then always answers `all`.

export function combinedSink(sinks: readonly ReportSink[]): ReportSink {
  const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

  return {
    async put(file) {
      const results = await Promise.allSettled(sinks.map((sink) => sink.put(file)));
      const all = results.flatMap((r) =>
        r.status === 'fulfilled' ? [{ url: r.value.url, where: r.value.where }] : [],
      );
      const failed = results.flatMap((r) => (r.status === 'rejected' ? [messageOf(r.reason)] : []));
      const [first] = all;
      if (!first) {
        const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
        if (failed.length === 1) throw rejected.reason;
        const kind = (rejected.reason as { kind?: unknown })?.kind;
        throw failure(
          typeof kind === 'string' ? (kind as Parameters<typeof failure>[0]) : 'unavailable',
          `no report sink kept ${file.runId}/${file.name}: ${failed.join(' | ')}`,
        );
      }
      const stored: StoredReport = { url: first.url, where: first.where, all };
      if (failed.length > 0) stored.failed = failed;
      return stored;
    },

    async list(runId) {
      const results = await Promise.allSettled(sinks.map((sink) => sink.list(runId)));
      if (results.every((r) => r.status === 'rejected')) throw (results[0] as PromiseRejectedResult).reason;
      const byName = new Map<string, { name: string; url: string }>();
      for (const r of results) {
        if (r.status !== 'fulfilled') continue;
        for (const entry of r.value) if (!byName.has(entry.name)) byName.set(entry.name, entry);
      }
      return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },

    async get(runId, name) {
      let firstError: unknown;
      for (const sink of sinks) {
        try {
          const content = await sink.get(runId, name);
          if (content !== undefined) return content;
        } catch (error) {
          firstError ??= error;
        }
      }
      // A sink that could not answer may hold it: "not there" would be a guess.
      if (firstError !== undefined) throw firstError;
      return undefined;
    },
  };
}
