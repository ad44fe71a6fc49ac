import type { ResolvedVerify } from '../catalog/resolve.js';
import type { StepEnv } from '../steps/types.js';
import type { VerifyResult } from '../verify/types.js';

/** One doctor line: ✓ ok, ! warn (works, but look), ✗ fail — with a one-line fix for the last two. */
export interface DoctorItem extends VerifyResult {
  recipe?: string;
  label: string;
}

/** Runs one `verify:` item through its form (src/verify/). Never changes anything. */
export async function runVerify(v: ResolvedVerify, env: StepEnv): Promise<DoctorItem> {
  const item = v.item;
  const fix = (item.fix as string | undefined) ?? `setup run ${v.recipe}`;
  const base = { recipe: v.recipe, label: (item.name as string | undefined) ?? v.impl.label(item) };
  if (v.whenFailed) return { ...base, status: 'ok', message: `not needed here (${v.whenFailed})` };
  // Every path-bearing field (argv items, file, venv, program flags) may start with ~/: each form expands it (a shell command's own words are bash's to expand).
  return { ...base, ...(await v.impl.run(item, env, fix)) };
}
