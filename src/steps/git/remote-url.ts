import { rewriteWith } from '../../lang/mirror.js';
import { shownUrl, unreachable, unreachableLine } from '../../util/reach.js';
import { StepFailure, type StepEnv } from '../types.js';
import { publicRewrites, publicUrl } from './credentials.js';

/**
 * The URL git will really fetch `repo` from: `git ls-remote --get-url` applies every `url.X.insteadOf`
 * (the profile's, passed in `options`, and the user's own ~/.gitconfig) and asks no host. Where git cannot
 * say, the profile's rewrite alone.
 */
export async function gitFetchUrl(
  repo: string,
  options: readonly string[],
  gitEnv: Record<string, string>,
  env: Pick<StepEnv, 'runner' | 'paths' | 'profile'>,
): Promise<string> {
  const url = publicUrl(repo);
  const r = await env.runner.run({
    argv: ['git', ...options, 'ls-remote', '--get-url', '--', url],
    env: gitEnv,
    cwd: env.paths.home,
    timeoutMs: 30_000,
  });
  const got = r.exitCode === 0 ? r.stdout.trim() : '';
  return got && !got.includes('\n') ? publicUrl(got) : rewriteWith(publicRewrites(env.profile), url);
}

/**
 * Fails the step at once when the host git will fetch `repo` from did not answer in this run; the line
 * names that URL, and what it was written as where a rewrite changed it.
 */
export async function gitMustAnswer(
  repo: string,
  options: readonly string[],
  gitEnv: Record<string, string>,
  env: Pick<StepEnv, 'runner' | 'paths' | 'profile' | 'processEnv'>,
): Promise<void> {
  const url = await gitFetchUrl(repo, options, gitEnv, env);
  const why = await unreachable(url, { env: env.processEnv, files: false });
  if (!why) return;
  const written = publicUrl(repo);
  if (url === written) throw new StepFailure(unreachableLine('host', url, why));
  throw new StepFailure(
    `host ${shownUrl(url)} did not answer (${why}); git fetches ${shownUrl(written)} from there (url.…insteadOf): check the mirror profile (setup doctor), or --mirror NAME, or your git config (git config --get-regexp '^url\\.')`,
  );
}
