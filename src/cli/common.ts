import { openSession, type Session, type SessionOptions } from '../plan/session.js';
import type { GlobalOpts } from './output.js';

/** Opens the session from the global options. */
export function sessionFrom(
  opts: GlobalOpts,
  load?: readonly string[],
  more: Pick<SessionOptions, 'trustNotes'> = {},
): Promise<Session> {
  return openSession({ recipes: opts.recipes, mirror: opts.mirror, set: opts.set, prefix: opts.prefix, load, ...more });
}
