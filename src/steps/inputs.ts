import { dict } from '../util/keys.js';
import { redact } from '../util/redact.js';
import type { ResolvedStep } from './types.js';

/**
 * What one step is built from: its rendered kind config, env and cwd, flattened to `key → value`
 * (`make.vars.TARGET → NEHALEM`). Secrets are masked: a changed secret alone is not seen. Not its `creates`,
 * `check` or `unless` (JUDGING): they say how to tell it is done, not what it makes, so adding the `creates:` a
 * draft's TODO asks for does not run the build again. `inputsOf` adds those of the earlier steps of its recipe,
 * so a changed source ref or configure define reaches the build and install steps after it.
 */
export function ownInputs(step: ResolvedStep): Record<string, string> {
  const out = dict<string>();
  const c = step.common;
  flatten(
    {
      [step.kind]: step.config,
      env: c.env,
      cwd: c.cwd,
    },
    '',
    out,
  );
  for (const k of Object.keys(out)) out[k] = redact(out[k]!);
  return out;
}

/** Input keys an older setup recorded that say how a step is judged, not what it is built from: not compared. */
export const JUDGING = /^(#\d+ )?(creates|check|unless)$/;

function flatten(v: unknown, key: string, out: Record<string, string>): void {
  if (v === undefined) return;
  if (v === null || typeof v !== 'object') out[key] = String(v);
  else if (Array.isArray(v)) out[key] = JSON.stringify(v);
  else for (const k of Object.keys(v).sort()) flatten((v as Record<string, unknown>)[k], key ? `${key}.${k}` : k, out);
}

/** Each step's recipe steps, in order (set when a recipe is resolved): inputs are computed only when asked for. */
const siblings = new WeakMap<ResolvedStep, readonly ResolvedStep[]>();
const cache = new WeakMap<ResolvedStep, Record<string, string>>();

/** Registers one resolved recipe's steps; cheap: the inputs themselves are flattened on first use. */
export function attachInputs(steps: readonly ResolvedStep[]): void {
  for (const s of steps) siblings.set(s, steps);
}

/** A step's inputs: its own, then those of the earlier steps of its recipe that apply here (`#2 key`). */
export function inputsOf(step: ResolvedStep): Record<string, string> {
  let out = cache.get(step);
  if (out) return out;
  out = ownInputs(step);
  for (const e of siblings.get(step) ?? []) {
    if (e === step) break;
    if (e.whenFailed !== null) continue;
    for (const [k, v] of Object.entries(ownInputs(e))) out[`#${e.index + 1} ${k}`] = v;
  }
  cache.set(step, out);
  return out;
}

/** The steps of the step's recipe, in order (empty before its recipe is resolved). */
export function recipeStepsOf(step: ResolvedStep): readonly ResolvedStep[] {
  return siblings.get(step) ?? [];
}

/**
 * `to` (the same step with its config rewritten, e.g. pinned by `run --locked`) keeps `from`'s inputs: what a
 * step is built from is what its recipe says, so pinning a lock never reads as a changed input downstream.
 */
export function inheritInputs(from: ResolvedStep, to: ResolvedStep): void {
  cache.set(to, inputsOf(from));
  const list = siblings.get(from);
  if (list) siblings.set(to, list);
}
