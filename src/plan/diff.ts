import type { CheckResult, FileChange, ReadFile, ResolvedStep, StepEnv } from '../steps/types.js';
import { type DiffLine, unifiedDiff } from '../util/line-diff.js';
import { holdsSecret, MASK, redact, redactAlso } from '../util/redact.js';
import { readIfExists } from '../util/safe-write.js';

/** A step's diff for `plan --diff`: its text, or why it could not be made. */
export type StepDiff = { text: string } | { error: string };

const octal = (m: number): string => m.toString(8).padStart(4, '0');

/**
 * The unified diff of every file `step` will write (its kind's `render` hook), secrets masked: '' when the
 * files already hold what it writes, undefined when its kind writes no file it can show (run, pip, …).
 */
export async function stepDiff(
  step: ResolvedStep,
  env: StepEnv,
  read: ReadFile = readIfExists,
): Promise<string | undefined> {
  if (!step.impl.render) return undefined;
  return (await step.impl.render(step, env, read)).map(fileDiff).join('');
}

/** One file's change as a unified diff, with `old mode`/`new mode` lines (git's) when the mode changes. */
export function fileDiff(ch: FileChange): string {
  const hide = (text: string): string => redactAlso(text, ch.replaced ?? []);
  const body = unifiedDiff({ path: ch.path, before: ch.before, after: ch.after, mask: maskSecrets });
  if (!ch.mode) return hide(body);
  const mode =
    ch.mode.before === undefined
      ? `new file mode ${octal(ch.mode.after)}\n`
      : `old mode ${octal(ch.mode.before)}\nnew mode ${octal(ch.mode.after)}\n`;
  if (body.startsWith('Binary files ')) return hide(mode + body);
  const head = `--- ${ch.before === undefined ? '/dev/null' : ch.path}\n+++ ${ch.path}\n`;
  return hide(body ? body.replace(/^(.*\n.*\n)/, `$1${mode}`) : head + mode);
}

/**
 * Masks secrets in an edit script: every registered secret, and the old value a secret replaces. An added
 * line that holds a secret starts with a key (`export TOKEN=`, `  "token": "`); a removed line of the same
 * change that starts with that key is shown up to it, the rest masked.
 */
export function maskSecrets(lines: DiffLine[]): DiffLine[] {
  const out = lines.map((l) => ({ ...l }));
  for (let i = 0; i < out.length;) {
    let j = i;
    while (j < out.length && out[j]!.op !== ' ') j++;
    const change = out.slice(i, j);
    // Each added secret line's text before the secret (its key) and after it (a closing quote, a comma).
    const keys = change
      .filter((l) => l.op === '+' && holdsSecret(l.text))
      .map((l) => {
        const masked = redact(l.text);
        let n = 0;
        while (l.text[n] === masked[n]) n++;
        let m = 0;
        while (m < l.text.length - n && m < masked.length - n && l.text.at(-1 - m) === masked.at(-1 - m)) m++;
        return { key: l.text.slice(0, n), tail: l.text.slice(l.text.length - m) };
      });
    for (const r of change) {
      const k = r.op === '-' ? keys.find(({ key }) => r.text.startsWith(key)) : undefined;
      if (k === undefined) continue;
      const newline = r.text.endsWith('\n') ? '\n' : '';
      const kept = r.text.length >= k.key.length + k.tail.length && r.text.endsWith(k.tail);
      r.text = k.key + MASK + (kept ? k.tail : newline);
    }
    i = Math.max(j, i + 1);
  }
  return out.map((l) => ({ ...l, text: redact(l.text) }));
}

/**
 * Diffs of the steps that will run (unsatisfied or could-not-tell, `when:` holding), in order: each against
 * the files as the earlier ones leave them (two env steps both edit env.sh). Reads files; writes nothing.
 */
export async function planDiffs(
  steps: readonly ResolvedStep[],
  checks: ReadonlyMap<string, CheckResult>,
  env: StepEnv,
): Promise<Map<string, StepDiff>> {
  const after = new Map<string, string>();
  const read: ReadFile = (file) => (after.has(file) ? Promise.resolve(after.get(file)) : readIfExists(file));
  const out = new Map<string, StepDiff>();
  for (const s of steps) {
    if (!s.impl.render || s.whenFailed !== null || checks.get(s.id)?.state === 'satisfied') continue;
    try {
      const changes = await s.impl.render(s, env, read);
      for (const ch of changes) after.set(ch.path, ch.after);
      out.set(s.id, { text: changes.map(fileDiff).join('') });
    } catch (e) {
      out.set(s.id, { error: e instanceof Error ? e.message : String(e) });
    }
  }
  return out;
}
