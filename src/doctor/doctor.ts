import type { FactValue } from '../facts/registry.js';
import type { PlannedRecipe } from '../plan/plan.js';
import { planSession, selectRecipes, type Session } from '../plan/session.js';
import { orderWithRequires, type Catalog } from '../catalog/catalog.js';
import { profileHosts } from '../lang/mirror.js';
import { unreachable } from '../util/reach.js';
import { mapLimit } from '../util/limit.js';
import { formatProblem } from '../util/errors.js';
import { bundleItems, type BundleCheck } from './bundle.js';
import { runVerify, type DoctorItem } from './verify.js';
import { lockDrift, type Drift } from './drift.js';
import type { LockSource } from '../plan/locked.js';
import { CHECKS, type CheckName } from './checks.js';
import { doctorHeader, envFileItem, type DoctorHeader } from './header.js';

export type { DoctorItem } from './verify.js';

/** What `setup doctor` reports: the host, the mirror profile, and every check of the chosen recipes. */
export interface DoctorReport {
  header: DoctorHeader;
  /** The checks that ran (`--check`; all by default). */
  checks: CheckName[];
  facts: Record<string, FactValue>;
  profile: { name: string; description: string };
  prefix: string;
  recipes: string[];
  items: (DoctorItem & { check: CheckName })[];
  counts: { ok: number; warn: number; fail: number; skipped: number };
  /** With a lock: its file, and each difference between it and what is installed (empty: none). */
  lock?: string;
  drift?: Drift[];
}

const HOST_TIMEOUT_MS = 4000;

/**
 * Does each mirror host answer (any HTTP status counts)? The same probe a run makes before it needs a host
 * (util/reach.ts), concurrent, with a short timeout; unreachable is a warning.
 */
async function checkHosts(hosts: readonly string[], offline: boolean): Promise<DoctorItem[]> {
  return Promise.all(
    hosts.map(async (host): Promise<DoctorItem> => {
      // Offline, a file:// index is still the profile's to have: only hosts over the network are left unasked.
      if (offline && !host.startsWith('file:'))
        return { label: host, status: 'skipped', message: 'not asked (--offline)' };
      const started = performance.now();
      const why = await unreachable(host, { timeoutMs: HOST_TIMEOUT_MS });
      return why
        ? {
            label: host,
            status: 'warn',
            message: host.startsWith('file:') ? `is missing (${why})` : `does not answer (${why})`,
            fix: host.startsWith('file:')
              ? 'correct the folder in the mirror profile, or pick another --mirror'
              : 'check the network, pick another --mirror, or pass --offline',
          }
        : {
            recipe: undefined,
            label: host,
            status: 'ok',
            message: host.startsWith('file:') ? 'is there' : `answers (${Math.round(performance.now() - started)} ms)`,
          };
    }),
  );
}

/** A recipe's own line: are all its steps satisfied (a meta recipe: every recipe it pulls in)? */
function recipeItem(r: PlannedRecipe, plan: readonly PlannedRecipe[], catalog: Catalog): DoctorItem {
  if (r.meta) return metaItem(r, plan, catalog);
  const open = r.steps.filter((s) => s.state !== 'satisfied' && s.state !== 'skipped');
  const label = 'steps';
  if (!open.length) {
    const skipped = r.steps.filter((s) => s.state === 'skipped').length;
    const has = r.steps.filter((s) => s.step.hostHas).length;
    const message = r.byHost
      ? `all ${skipped} skipped: ${has} as the host already has what ${has === 1 ? 'it installs' : 'they install'}${skipped > has ? `, ${skipped - has} not for this host` : ''}`
      : skipped
        ? `${r.steps.length - skipped} satisfied, ${skipped} skipped`
        : `all ${r.steps.length} satisfied`;
    return { recipe: r.name, label, status: 'ok', message };
  }
  const first = open[0]!;
  const unknownOnly = open.every((s) => s.state === 'unknown');
  return {
    recipe: r.name,
    label,
    status: unknownOnly ? 'warn' : 'fail',
    message: `${open.length} of ${r.steps.length} not done; first: ${first.step.name || first.action.summary} (${first.reason})`,
    fix: `setup run ${r.name}`,
  };
}

/** A meta recipe has no steps: its line says which of the recipes it pulls in are not done. */
function metaItem(r: PlannedRecipe, plan: readonly PlannedRecipe[], catalog: Catalog): DoctorItem {
  const closure = new Set(orderWithRequires(catalog.recipes, [r.name]).map((x) => x.name));
  const pulled = plan.filter((p) => closure.has(p.name) && !p.meta);
  const open = pulled.filter((p) => p.state !== 'satisfied' && p.state !== 'skipped');
  const base = { recipe: r.name, label: 'requires' };
  if (!open.length)
    return {
      ...base,
      status: 'ok',
      message: `no steps of its own; ${pulled.length === 1 ? 'the recipe it pulls in is' : `all ${pulled.length} recipes it pulls in are`} done`,
    };
  const names = open.map((p) => p.name);
  return {
    ...base,
    status: open.every((p) => p.state === 'unknown') ? 'warn' : 'fail',
    message: `no steps of its own; ${open.length} of ${pulled.length} recipes it pulls in not done: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}`,
    fix: `setup run ${r.name}`,
  };
}

/**

 * `fix: setup run X` only where that run would do something: when every step of X reports done, a failing
 * verify item means the recipe's checks miss what is broken, and the fix says so instead of sending the
 * user to a run that prints "Nothing to do".
 */
function truthfulFix(v: DoctorItem, r: PlannedRecipe): DoctorItem {
  if (
    v.status === 'ok' ||
    v.fix !== `setup run ${r.name}` ||
    r.steps.some((s) => s.state !== 'satisfied' && s.state !== 'skipped')
  )
    return v;
  return {
    ...v,
    fix: `every step of ${r.name} reports done, so \`setup run ${r.name}\` would change nothing: repair it by hand (see the message), and tell the recipe's author its checks miss this`,
  };
}

/**
 * Verifies the host: all facts, the active profile, and for each chosen recipe its step state and
 * `verify:` items. Chosen: the named ones (a named meta recipe brings what it requires); by default every
 * recipe with a satisfied step (partly installed ones too) or that the host satisfies. Changes nothing.
 */
export async function doctor(
  session: Session,
  names: readonly string[],
  opts: {
    offline?: boolean;
    lock?: LockSource;
    /** No lock file was found here while `--check drift` was asked for: the check is reported skipped. */
    noLock?: string;
    bundle?: BundleCheck;
    checks?: ReadonlySet<CheckName>;
  } = {},
): Promise<DoctorReport> {
  const checks = opts.checks ?? new Set(CHECKS.map((c) => c.name as CheckName));
  const on = (c: CheckName): boolean => checks.has(c);
  // Steps, verify items and drift need the plan; the host-level checks alone do not.
  const recipeChecks = on('steps') || on('verify') || on('drift');
  const env = session.stepEnv;
  if (!recipeChecks) selectRecipes(session, names); // unknown names are an error all the same
  const [facts, planned, mirrors] = await Promise.all([
    env.facts.all(),
    recipeChecks ? planSession(session, selectRecipes(session, names)) : undefined,
    on('mirror-hosts') ? checkHosts(profileHosts(env.profile), !!opts.offline) : [],
  ]);
  const header = await doctorHeader(env.paths, facts, env.profile.name, env.processEnv);
  const tag =
    (check: CheckName) =>
    (i: DoctorItem): DoctorItem & { check: CheckName } => ({ check, ...i });
  const hostItems = [
    // A config.yaml that does not read: each problem where it is, doctor going on with the defaults.
    ...(on('config')
      ? (session.configProblems ?? []).map((p) =>
          tag('config')({
            label: env.paths.configFile,
            status: 'fail',
            message: `${formatProblem(p)}; checked with the defaults instead`,
            fix: `correct ${env.paths.configFile} (\`setup validate\` checks it), or move it aside to use the defaults`,
          }),
        )
      : []),
    ...(on('env-file') ? [envFileItem(header, env.paths.home)].map(tag('env-file')) : []),
    ...mirrors.map(tag('mirror-hosts')),
    // Asked for by name, the drift check says it did not run and why, rather than a silent "no problems".
    ...(on('drift') && !opts.lock && opts.noLock
      ? [
          tag('drift')({
            label: 'drift',
            status: 'skipped',
            message: `not checked: no lock file at ${opts.noLock} (\`setup lock <recipe…>\` writes one; --lock FILE names another)`,
          }),
        ]
      : []),
  ];
  const all = planned?.plan.recipes ?? [];
  const metaNamed = all.filter((r) => r.meta && names.includes(r.name)).map((r) => r.name);
  const wanted = new Set([...names, ...orderWithRequires(session.catalog.recipes, metaNamed).map((r) => r.name)]);
  const locks = (r: PlannedRecipe): boolean => !!opts.lock && Object.hasOwn(opts.lock.lock.recipes, r.name);
  const chosen = names.length
    ? all.filter((r) => wanted.has(r.name))
    : all.filter((r) => r.byHost || r.steps.some((s) => s.state === 'satisfied') || locks(r));
  const resolved = (planned?.resolved ?? []).filter((r) => chosen.some((c) => c.name === r.recipe.name));
  // Drift from the lock, for the chosen recipes it locks.
  const drifted = opts.lock && on('drift') ? await lockDrift(resolved, opts.lock, env) : undefined;
  const verify = on('verify') ? resolved.flatMap((r) => r.verify) : [];
  const verified = await mapLimit(verify, Math.max(2, env.cpus), (v) => runVerify(v, env));
  // A bundle's profile (--mirror DIR/profile.yaml with bundle.json beside it): is the bundle complete for them?
  const bundled =
    opts.bundle && on('bundle')
      ? (
          await bundleItems(
            session,
            selectRecipes(session, names.length ? names : opts.bundle.manifest.recipes),
            opts.bundle,
          )
        ).map(tag('bundle'))
      : [];
  const shown = new Set(chosen.map((r) => r.name));
  const items = [
    ...hostItems,
    // A required recipe doctor does not list still has its bundle lines, with the host's.
    ...bundled
      .filter((i) => !shown.has(i.recipe!))
      .map((i) => ({ ...i, label: `bundle (${i.recipe!})`, recipe: undefined })),
  ];
  for (const r of chosen) {
    if (on('steps')) items.push(tag('steps')(recipeItem(r, all, session.catalog)));
    items.push(...bundled.filter((i) => i.recipe === r.name));
    items.push(...verified.filter((v) => v.recipe === r.name).map((v) => tag('verify')(truthfulFix(v, r))));
    items.push(...(drifted?.items.filter((d) => d.recipe === r.name).map(tag('drift')) ?? []));
  }
  const counts = { ok: 0, warn: 0, fail: 0, skipped: 0 };
  for (const i of items) counts[i.status]++;
  return {
    header,
    checks: CHECKS.map((c) => c.name as CheckName).filter(on),
    facts,
    profile: { name: env.profile.name, description: env.profile.description ?? '' },
    prefix: env.prefix,
    recipes: recipeChecks ? chosen.map((r) => r.name) : [],
    items,
    counts,
    ...(opts.lock && drifted ? { lock: opts.lock.file, drift: drifted.drift } : {}),
  };
}
