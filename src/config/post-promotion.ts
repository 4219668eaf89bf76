import { z } from 'zod';
import { duration } from './duration.ts';
import { name } from './names.ts';

// The optional stage after 100 % (like Argo Rollouts' post-promotion analysis and Cloud Deploy's
// analysis): the new revision serves everything, the previous one is kept warm and addressable under a
// revision tag, and the gates watch the new revision against the previous revision's own metrics over
// the hours before promotion. A failing gate rolls back to the previous revision, as at any stage.

/** The stage's name in the rollout: the stage bar, the thread, /canary status and the report. */
export const POST_PROMOTION_STAGE = 'post-promotion';

/** Cloud Run's rule for a traffic tag (also a DNS label prefix of the tag URL). */
const revisionTag = z.string().regex(/^[a-z]([-a-z0-9]{0,44}[a-z0-9])?$/, {
  error: 'expected a Cloud Run traffic tag: lower-case letters, digits and dashes, like "previous"',
});

const HOUR = 3_600_000;

export const postPromotion = z
  .strictObject({
    watch: duration.meta({
      description: 'How long the gates watch the promoted revision before the rollout is done, e.g. "30m"',
    }),
    interval: duration.optional().meta({
      description: "How often the gates run during the watch; default the last stage's interval",
    }),
    gates: z.array(name).optional().meta({
      description: "Gates run every interval during the watch; default the last stage's gates",
    }),
    baselineWindow: duration.prefault('2h').meta({
      description:
        "The previous revision's metrics over this long before it stopped serving are the baseline the gates compare with (at least 1m, at most 24h)",
    }),
    warmTag: z
      .union([revisionTag, z.literal(false)])
      .default('previous')
      .meta({
        description:
          'Revision tag put on the previous revision during the watch, so Cloud Run keeps it addressable and started (its min instances run) for a fast rollback; removed when the watch ends. false: no tag',
      }),
  })
  .superRefine((p, ctx) => {
    if (p.watch === 0) {
      ctx.addIssue({ code: 'custom', path: ['watch'], message: 'must be longer than 0s, e.g. "30m"' });
    }
    if (p.interval !== undefined && (p.interval === 0 || p.interval > p.watch)) {
      ctx.addIssue({
        code: 'custom',
        path: ['interval'],
        message: 'must be longer than 0s and not longer than the watch',
      });
    }
    if (p.baselineWindow < 60_000 || p.baselineWindow > 24 * HOUR) {
      ctx.addIssue({
        code: 'custom',
        path: ['baselineWindow'],
        message:
          'expected 1m to 24h (Cloud Monitoring reads at least one minute; a day of the previous revision is plenty)',
      });
    }
  })
  .meta({
    description:
      'An optional stage after 100 %: watch the promoted revision against the previous revision before the rollout is done; a failing gate rolls back to the previous revision',
  });

export type PostPromotion = z.infer<typeof postPromotion>;
