import type { ResolvedVerify } from '../catalog/resolve.js';
import type { StepEnv } from '../steps/types.js';
import type { VerifyResult } from '../verify/types.js';
import type { CheckName } from './checks.js';

/**
 * One doctor line: ✓ ok, ! warn (works, but look), ✗ fail — with a one-line fix for the last two — or
 * - skipped (not asked, e.g. a network check under --offline; the message says why).
 */
export interface DoctorItem extends Omit<VerifyResult, 'status'> {
  status: VerifyResult['status'] | 'skipped';
  /** The check that made it (checks.ts); set by doctor() for each line it reports. */
  check?: CheckName;
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
