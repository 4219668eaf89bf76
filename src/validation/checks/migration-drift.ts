import { shellQuote } from '../../gates/curl.ts';
import { messageOf } from '../../gates/error-result.ts';
import type { JobState, ServiceState } from '../../runbooks/ports/cloud-run.ts';
import { type CheckContext, judged, notMeasured, type Observation, type ValidationPorts } from './context.ts';

// Seed 002's migration drift: the service runs the image its migrate job runs, and the job's latest
// execution succeeded, with that image. A service that moved on while the migration of its image failed
// (or never ran) is drift, whatever else is healthy.

const EXPECTED = 'service image = migrate job image; latest execution succeeded with it';

export async function migrationDriftCheck(
  ctx: CheckContext,
  ports: Pick<ValidationPorts, 'cloudRun'>,
): Promise<Observation> {
  const { target } = ctx;
  const job = target.migrateJob ?? '';
  const where = `--project ${shellQuote(target.project)} --region ${shellQuote(target.region)}`;
  const evidence = [
    `gcloud run services describe ${shellQuote(target.cloudRunService)} ${where}`,
    `gcloud run jobs describe ${shellQuote(job)} ${where}`,
    `gcloud run jobs executions list --job ${shellQuote(job)} ${where} --limit 1`,
  ].join(' && ');
  const what = `migration drift of ${target.cloudRunService} and job ${job}`;
  if (!job) return notMeasured(what, EXPECTED, evidence, `${target.service} has no migrateJob in ${ctx.env}`);

  let service: ServiceState;
  let migrate: JobState;
  try {
    [service, migrate] = await Promise.all([
      ctx.describe(),
      ports.cloudRun.describeJob({ project: target.project, region: target.region, job }),
    ]);
  } catch (error) {
    return notMeasured(what, EXPECTED, evidence, messageOf(error));
  }

  const latest = migrate.latestExecution;
  const short = shortener(service.image, migrate.image, latest?.image);
  const broken: string[] = [];
  if (service.image !== migrate.image) {
    broken.push(`the service runs ${short(service.image)}, the job ${short(migrate.image)}`);
  }
  if (!latest) broken.push('the job has never run');
  else {
    if (latest.status !== 'succeeded') {
      broken.push(
        `its latest execution ${latest.name} ${latest.status}${latest.message ? `: ${latest.message}` : ''}`,
      );
    }
    if (latest.image && latest.image !== service.image) {
      broken.push(`its latest execution ran ${short(latest.image)}, not the service's image`);
    }
  }
  const execution = latest
    ? `latest execution ${latest.name} ${latest.status}${latest.image ? ` (${short(latest.image)})` : ''}`
    : 'never run';
  const observed = `service ${short(service.image)}, job ${short(migrate.image)}, ${execution}`;
  return judged('migration drift', observed, EXPECTED, evidence, broken);
}

/** `repo/image:tag` shortened to `image:tag` when that still tells the images apart. */
function shortener(...images: (string | undefined)[]): (image: string) => string {
  const cut = (image: string) => image.slice(image.lastIndexOf('/') + 1);
  const full = new Set(images.filter((i): i is string => i !== undefined));
  const cuts = new Set([...full].map(cut));
  return cuts.size === full.size ? cut : (image) => image;
}
