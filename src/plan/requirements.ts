import { VENV_SEEDS } from '../steps/pip/locked.js';
import type { Lock } from './lock-file.js';

/**
 * `setup lock --format requirements`: a venv's (or interpreter's) pins from a lock, as a requirements.txt —
 * what the notes do with `pip3 freeze > requirements.txt`. Pure.
 */

/** Where pip steps install (a venv, or an interpreter), with what the lock says is (or would be) there. */
export interface PipTarget {
  /** The venv's folder or the interpreter's path, absolute. */
  path: string;
  kind: 'venv' | 'interpreter';
  python: string;
  /** The steps installing there, `recipe#n (name)`. */
  steps: string[];
  distributions: Record<string, string>;
  /** name → sha256, where the lock knows it (the index's, from `--resolve`). */
  hashes: Record<string, string>;
  /** From `--resolve`: what would be installed, not what is. */
  resolved: boolean;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const strings = (v: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  if (v && typeof v === 'object' && !Array.isArray(v))
    for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
};

/** Every venv or interpreter the pip steps of `recipes` in `lock` install into, in recipe and step order. */
export function pipTargets(lock: Lock, recipes: readonly string[]): PipTarget[] {
  const found = new Map<string, PipTarget>();
  for (const r of recipes)
    for (const s of lock.recipes[r] ?? []) {
      const i = s.installed;
      if (s.kind !== 'pip' || !i) continue;
      const venv = str(i.venv);
      const where = venv ?? str(i.interpreter);
      if (!where) continue;
      const t = found.get(where) ?? {
        path: where,
        kind: venv ? ('venv' as const) : ('interpreter' as const),
        python: str(i.python) ?? '',
        steps: [],
        distributions: {},
        hashes: {},
        resolved: !!s.resolved,
      };
      t.steps.push(`${r}#${s.step}${s.name ? ` (${s.name})` : ''}`);
      // One venv read twice gives the same set; resolutions of several steps add up (a later step's pin wins).
      Object.assign(t.distributions, strings(i.distributions));
      Object.assign(t.hashes, strings(i.hashes));
      found.set(where, t);
    }
  return [...found.values()];
}

/**
 * The requirements text of one target: a header comment (which venv, python, steps; installed or
 * resolved), then `name==version` sorted, one a line; with `hashes`, each pin's `--hash=sha256:` where known.
 */
export function formatRequirements(t: PipTarget, opts: { hashes: boolean }): string {
  // Installed: like freeze, the venv's own pip and setuptools are not requirements. Resolved: only what a
  // requirement pulls in is listed, so all of it stays.
  const names = Object.keys(t.distributions)
    .filter((n) => t.resolved || !VENV_SEEDS.has(n))
    .sort();
  const lines = [
    `# ${t.kind} ${t.path}${t.python ? ` (python ${t.python})` : ''}: ${t.resolved ? 'what pip would install (setup lock --resolve)' : 'what is installed'}`,
    `# written by setup lock --format requirements, from ${t.steps.join(', ')}`,
  ];
  if (opts.hashes) {
    const lacking = names.filter((n) => !t.hashes[n]);
    if (lacking.length)
      lines.push(
        `# no sha256 known for ${lacking.join(', ')}${t.resolved ? '' : ' (setup lock --resolve --hashes asks the index)'}: pip --require-hashes will refuse this file`,
      );
  }
  for (const n of names) {
    const pin = `${n}==${t.distributions[n]}`;
    const h = opts.hashes ? t.hashes[n] : undefined;
    lines.push(h ? `${pin} \\\n    --hash=sha256:${h}` : pin);
  }
  return `${lines.join('\n')}\n`;
}
