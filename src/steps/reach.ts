import { unreachable, unreachableLine } from '../util/reach.js';
import { StepFailure, type StepEnv } from './types.js';

/**
 * Fails the step at once when a host it is about to fetch from did not answer in this run (util/reach.ts:
 * one probe per host): a download's URL and checksum URL, a git clone or fetch. file:// URLs are the
 * step's own to report.
 */
export async function mustAnswer(urls: readonly string[], env: Pick<StepEnv, 'processEnv'>): Promise<void> {
  for (const url of urls) {
    const why = await unreachable(url, { env: env.processEnv, files: false });
    if (why) throw new StepFailure(unreachableLine('host', url, why));
  }
}
