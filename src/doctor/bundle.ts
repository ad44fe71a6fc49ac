import type { Recipe } from '../catalog/types.js';
import { collectBundle } from '../plan/bundle.js';
import type { Manifest } from '../plan/bundle-manifest.js';
import type { Lock } from '../plan/lock-file.js';
import type { Session } from '../plan/session.js';
import type { DoctorItem } from './verify.js';

/** A bundle folder doctor checks: the folder of the `--mirror` profile, with the manifest beside it. */
export interface BundleCheck {
  dir: string;
  manifest: Manifest;
  lock?: Lock;
}

/**
 * Is the bundle complete for these recipes? Every step's `bundle` hook with `checkOnly` (nothing fetched):
 * one ✗ line per thing the folder lacks, else one ✓ line per recipe. A fix is to bundle again where there
 * is network (what is there is kept).
 */
export async function bundleItems(session: Session, recipes: readonly Recipe[], b: BundleCheck): Promise<DoctorItem[]> {
  const run = await collectBundle(session, recipes, {
    dir: b.dir,
    recorded: new Map(b.manifest.steps.map((s) => [s.id, s.items])),
    ...(b.lock ? { lock: b.lock } : {}),
    checkOnly: true,
    progress: () => undefined,
  });
  const items: DoctorItem[] = [];
  for (const recipe of run.recipes) {
    const steps = run.steps.filter((s) => s.recipe === recipe);
    const fix = `on a machine with network: setup bundle ${recipe} -o ${b.dir}`;
    const bad = steps.flatMap((s) => [
      ...(s.error ? [`${s.id} ${s.kind}: ${s.error}`] : []),
      ...s.missing.map((m) => `${s.id} ${m}`),
    ]);
    for (const m of bad) items.push({ recipe, label: 'bundle', status: 'fail', message: m, fix });
    if (!bad.length && steps.length)
      items.push({
        recipe,
        label: 'bundle',
        status: 'ok',
        message: `${b.dir} has what its ${steps.length} step${steps.length === 1 ? '' : 's'} fetch${steps.length === 1 ? 'es' : ''}`,
      });
  }
  return items;
}
