import type { DraftStep, Requirement, StepOf } from './steps.js';

/** PEP 503: names that differ in case, `-`, `_` or `.` are one distribution. */
export const normalName = (n: string): string => n.toLowerCase().replace(/[-_.]+/g, '-');

const union = (a: number[], b: number[]): number[] => [...new Set([...a, ...b])].sort((x, y) => x - y);

/** Lines are appended here and sorted once at the end of mergeSteps: notes with many installs stay linear. */
function absorb(into: DraftStep, from: DraftStep): void {
  into.lines.push(...from.lines);
  for (const n of from.notes) if (!into.notes.includes(n)) into.notes.push(n);
}

/** Each merged pip step's requirements by normal name → index, so a merge does not scan them all. */
const byName = new WeakMap<Requirement[], Map<string, number>>();
function indexOf(reqs: Requirement[]): Map<string, number> {
  let m = byName.get(reqs);
  if (!m) {
    m = new Map();
    for (const [i, r] of reqs.entries()) if (!m.has(normalName(r.name))) m.set(normalName(r.name), i);
    byName.set(reqs, m);
  }
  return m;
}

/** Requirements `into` has for another version than `r` asks (both pinned, or both with the same operator). */
const conflicts = (into: Requirement[], r: Requirement): boolean => {
  const x = into[indexOf(into).get(normalName(r.name)) ?? -1];
  return !!x && !!x.op && !!r.op && (x.op !== r.op || x.version !== r.version);
};

function mergePip(into: StepOf<'pip'>, from: StepOf<'pip'>): void {
  const index = indexOf(into.requirements);
  for (const r of from.requirements) {
    const i = index.get(normalName(r.name));
    const have = i === undefined ? undefined : into.requirements[i];
    if (i === undefined || !have) {
      index.set(normalName(r.name), into.requirements.length);
      into.requirements.push(r);
    } else if (!have.op && r.op) into.requirements[i] = r;
  }
  for (const [m, lines] of Object.entries(from.mirrors)) into.mirrors[m] = union(into.mirrors[m] ?? [], lines);
  absorb(into, from);
}

function mergeEnv(into: StepOf<'env'>, from: StepOf<'env'>): void {
  for (const [k, v] of Object.entries(from.set)) {
    if (Object.hasOwn(into.set, k) && into.set[k] !== v)
      into.notes.push(`${k} is set again on line ${from.lines[0]} (was ${into.set[k]}): the later value is kept`);
    into.set[k] = v;
  }
  for (const d of from.path) if (!into.path.includes(d)) into.path.push(d);
  for (const [k, v] of Object.entries(from.prepend)) into.prepend[k] = [...new Set([...(into.prepend[k] ?? []), ...v])];
  absorb(into, from);
}

function mergeConfig(into: StepOf<'config'>, from: StepOf<'config'>): void {
  for (const [k, v] of Object.entries(from.set)) {
    const had = into.set[k];
    // `conda config --add channels` puts each new channel first.
    into.set[k] =
      Array.isArray(had) && Array.isArray(v) ? [...new Set([...(v as unknown[]), ...(had as unknown[])])] : v;
  }
  absorb(into, from);
}

/** The key of steps that merge: the same kind installing into the same place the same way. */
function mergeKey(s: DraftStep): string | undefined {
  switch (s.kind) {
    case 'packages':
    case 'env':
      return s.kind;
    case 'pip':
      return JSON.stringify([s.kind, s.venv, s.python, s.indexUrl, s.upgrade, s.args]);
    case 'venv':
      return `venv ${s.path}`;
    case 'git':
      return `git ${s.repo} ${s.dest ?? ''}`;
    case 'config':
      return `config ${s.path}`;
    case 'download':
      return `download ${s.url}`;
    case 'make':
    case 'cmake':
    case 'file':
    case 'run':
      return undefined;
  }
}

/**
 * Repeated installs merged into the first step of their kind and target: packages into one step, pip installs
 * with the same venv, interpreter, index and flags into one (a pin that contradicts one already there starts
 * another step, with a note), exports into one env step, settings of one file into one config step, the same
 * clone or venv once. Run steps stay as they are, in order.
 */
export function mergeSteps(steps: readonly DraftStep[]): DraftStep[] {
  const out: DraftStep[] = [];
  const byKey = new Map<string, DraftStep[]>();
  for (const s of steps) {
    const key = mergeKey(s);
    const targets = key === undefined ? [] : (byKey.get(key) ?? []);
    const target =
      s.kind === 'pip'
        ? targets.find((t) => t.kind === 'pip' && !s.requirements.some((r) => conflicts(t.requirements, r)))
        : targets[0];
    if (target?.kind === 'pip' && s.kind === 'pip') mergePip(target, s);
    else if (target?.kind === 'env' && s.kind === 'env') mergeEnv(target, s);
    else if (target?.kind === 'config' && s.kind === 'config') mergeConfig(target, s);
    else if (target?.kind === 'packages' && s.kind === 'packages') {
      const seen = new Set(target.packages.map((p) => JSON.stringify(p)));
      for (const p of s.packages) if (!seen.has(JSON.stringify(p))) target.packages.push(p);
      absorb(target, s);
    } else if (target) absorb(target, s);
    else {
      const copy = structuredClone(s);
      if (copy.kind === 'pip' && targets.length)
        copy.notes.push(
          `pins a version an earlier pip step pins otherwise (lines ${targets.flatMap((t) => t.lines).join(', ')}): keep one`,
        );
      out.push(copy);
      if (key !== undefined) byKey.set(key, [...targets, copy]);
    }
  }
  for (const s of out) s.lines = union([], s.lines);
  return out;
}
