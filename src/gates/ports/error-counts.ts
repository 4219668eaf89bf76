import type { TimeWindow } from './monitoring.ts';

// What the error-rate gate's fast signal needs: how many requests each revision answered with a 5xx,
// counted from Cloud Run's request logs. The sequential test (sequential.ts) needs nothing else: under
// no regression each 5xx is the canary's with probability equal to its traffic share, so request counts
// (and Cloud Monitoring's minutes of delay) are not needed. Logs arrive within seconds.

export interface RequestErrorQuery {
  project: string;
  /** Cloud Run service name. */
  service: string;
  /** Cloud Run region: a revision name is unique per region only. */
  location?: string;
  /** Short revision names; each one is in the answer. */
  revisions: readonly string[];
  /** Requests with start <= timestamp < end. */
  window: TimeWindow;
}

export interface RequestErrorCounts {
  /** 5xx per revision asked for, counted over [window.start, through). */
  counts: Record<string, number>;
  /**
   * The end of what was counted: the window's end, or earlier when the answer came from a read made
   * moments before (several gates and rollouts share one) or when the page bound stopped the listing.
   */
  through: Date;
  /** False when the page bound stopped the listing: the counts then end at `through`, before the end asked. */
  complete: boolean;
  /** The filter of the read behind the answer: `gcloud logging read '<filter>'` shows the same entries. */
  filter: string;
}

export interface RequestErrorSource {
  /** Throws a PlatformError (system 'logging'): permission-denied when the logs are not readable. */
  count5xx(query: RequestErrorQuery): Promise<RequestErrorCounts>;
}
