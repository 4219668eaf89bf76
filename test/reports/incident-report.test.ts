import { describe, expect, it } from 'vitest';
import type { Incident } from '../../src/incidents/types.ts';
import { incidentReport, incidentReportMarkdown } from '../../src/reports/incident-report.ts';

// The incident report from an incident opened by hand (no rollout): fields that have no value say so,
// follow-ups are found in any of their spellings, table cells stay one line, the order is by time.

const incident: Incident = {
  id: 'incident-web-prod-20261130T0500',
  service: 'web',
  env: 'prod',
  symptom: 'checkout | slow',
  openedBy: 'UALICE',
  openedAt: '2026-11-30T05:00:00.000Z',
  channel: 'C0DEPLOYS',
  ts: '1700000000.000100',
  status: 'open',
};

const note = (at: string, author: string, text: string) => ({
  id: at,
  at,
  author,
  text,
  source: 'human' as const,
});

describe('incident report', () => {
  it('reports an open, hand-opened incident honestly', () => {
    const report = incidentReport({
      incident,
      notes: [
        note('2026-11-30T05:20:00.000Z', 'UBOB', 'TODO: page the DBA\nfirst'),
        note('2026-11-30T05:10:00.000Z', 'UALICE', 'Action item - raise the pool size'),
        note('2026-11-30T05:15:00.000Z', 'UBOB', 'follow up: add an SLO'),
        note('2026-11-30T05:16:00.000Z', 'UBOB', 'no follow-up needed here'),
      ],
      now: '2026-11-30T05:45:00.000Z',
    });
    expect(report).toMatchObject({
      status: 'open',
      failedStage: null,
      rolloutId: null,
      revisions: { from: null, to: null },
      traffic: { before: null, after: null },
      resolved: null,
      durationMinutes: 45,
      people: ['UALICE', 'UBOB'],
    });
    expect(report.timeline.map((e) => e.at)).toEqual([
      '2026-11-30T05:10:00.000Z',
      '2026-11-30T05:15:00.000Z',
      '2026-11-30T05:16:00.000Z',
      '2026-11-30T05:20:00.000Z',
    ]);
    expect(report.followUps.map((f) => f.text)).toEqual([
      'page the DBA\nfirst',
      'raise the pool size',
      'add an SLO',
    ]);

    const md = incidentReportMarkdown(report);
    expect(md).toContain('| failed stage | none (not a rollout stage) |');
    expect(md).toContain('| traffic before | not recorded |');
    expect(md).toContain('| resolved | still open |');
    expect(md).toContain('| symptom | checkout \\| slow |');
    expect(md).toContain('| 2026-11-30T05:20:00.000Z | <@UBOB> | TODO: page the DBA first |');
  });
});
