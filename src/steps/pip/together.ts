import type { ResolvedStep } from '../types.js';
import type { VenvConfig } from '../venv.js';
import type { PipConfig } from './command.js';

/** What must be the same for two pip steps to be one `pip install`: where it installs, from where, and how. */
function joinKey(s: ResolvedStep<PipConfig>): string | undefined {
  const c = s.config;
  const k = s.common;
  // upgrade and --no-deps change what one resolution means; a step's own check, creates or unless is its own.
  if (c.upgrade || c.noDeps || k.check || k.creates?.length || k.unless) return undefined;
  return JSON.stringify([
    c.venv ?? null,
    c.venv ? null : (c.python ?? null),
    c.indexUrl ?? null,
    c.extraIndexUrls ?? null,
    c.trustedHosts ?? null,
    c.pre,
    c.args,
    (c.requirementFiles ?? []).filter((f) => f.constraint).map((f) => f.path),
    k.env ?? null,
    k.root ?? null,
    k.cwd ?? null,
  ]);
}

/**
 * The later pip steps of a run that install into this step's interpreter the same way: one `pip install` of
 * all their requirements resolves them together (faster, and one consistent environment instead of a later
 * step up- or downgrading what an earlier one installed). Looking ahead passes over what cannot prepare for
 * them — a pip step into another venv, the venv step that makes this one's venv (made already) — and stops
 * at anything else: an apt package, a clone or a run step may be what a later pip step's build needs.
 */
export function pipTogether(step: ResolvedStep<PipConfig>, later: readonly ResolvedStep[]): ResolvedStep[] {
  const key = joinKey(step);
  if (key === undefined) return [];
  const out: ResolvedStep[] = [];
  for (const s of later) {
    if (s.kind === 'pip') {
      const other = s as ResolvedStep<PipConfig>;
      if (joinKey(other) === key) out.push(s);
      else if (!(other.config.venv && other.config.venv !== step.config.venv)) break;
    } else if (!(s.kind === 'venv' && step.config.venv && (s.config as VenvConfig).path === step.config.venv)) break;
  }
  return out;
}
