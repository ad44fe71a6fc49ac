import fs from 'node:fs/promises';
import * as z from '../util/zod.js';
import { isInstalled, parseDpkgStatus, type DpkgStatus } from './packages/dpkg-status.js';
import {
  installArgv,
  needsUpdate,
  packagesFor,
  parseQuery,
  queryArgv,
  updateArgv,
  type PackageEntry,
} from './packages/managers.js';
import { installedVersions, packagesLockEntry, resolvedVersions } from './packages/lock.js';
import { aptOptionsFor, preparePrivateApt, privateApt } from './packages/apt-repo.js';
import { bundleApt } from './packages/bundle.js';
import { lockedPackages, offPins, pinnedNames, unavailablePins, type PackagePin } from './packages/locked.js';
import { defineKind, type ResolvedStep, type StepEnv } from './types.js';
import { StepFailure } from './types.js';

/** dpkg's status file; a constant so tests can point a StepEnv at a captured one through the memo. */
export const DPKG_STATUS = '/var/lib/dpkg/status';
const APT_LISTS = '/var/lib/apt/lists';

const entry = z.union([
  z.string().regex(/^([A-Za-z0-9][A-Za-z0-9+.:_@/-]*|.*\{\{.*\}\}.*)$/, 'not a package name'),
  z.record(z.string(), z.union([z.string(), z.array(z.string()), z.null()])).meta({
    description:
      'Names by host: `debian:12`, `debian`, `ubuntu`, `apt`, `dnf`, `brew`, `default`; null = nothing on that host.',
    examples: [{ debian: 'libgl1', 'ubuntu:20.04': 'libgl1-mesa-glx', dnf: 'mesa-libGL', brew: null }],
  }),
]);
const packagesSchema = z.union(
  [
    z.array(entry).min(1),
    z.strictObject({
      packages: z
        .array(entry)
        .min(1)
        .meta({
          description: 'Packages: names, or maps from host to name.',
          examples: [['build-essential', 'pkg-config', { debian: 'libgl1', 'ubuntu:20.04': 'libgl1-mesa-glx' }]],
        }),
      update: z
        .boolean()
        .optional()
        .meta({
          description:
            'Refresh the package lists before installing (once per run). Default: only when the lists are empty or a package cannot be found.',
          examples: [true],
        }),
    }),
  ],
  { error: 'expected a list of packages, or { packages, update }' },
);

interface PackagesConfig {
  packages: PackageEntry[];
  update: boolean;
  /** `run --locked` (apt): the version the lock pins for each name. */
  pins?: Record<string, PackagePin>;
}

/** The dpkg name behind each name (a virtual one: the package providing it). */
async function realNames(env: StepEnv): Promise<(n: string) => string> {
  const status = await dpkgStatus(env);
  return (n) => isInstalled(status, n) ?? n;
}

/** Installed names not at their pinned version (apt, `run --locked`): name → installed version. */
async function offLock(step: ResolvedStep<PackagesConfig>, pm: string, names: string[], env: StepEnv) {
  const pins = step.config.pins;
  if (!pins || pm !== 'apt') return new Map<string, string>();
  return offPins(env.runner, names, pins, await realNames(env));
}

/** dpkg's status, read once per invocation (the memo is cleared after each step runs). */
function dpkgStatus(env: StepEnv): Promise<DpkgStatus> {
  return env.memo.get(`dpkg-status:${DPKG_STATUS}`, async () =>
    parseDpkgStatus(await fs.readFile(DPKG_STATUS, 'utf8')),
  );
}

/** The host's package names for this step and which of them are missing. */
async function missingPackages(
  step: ResolvedStep<PackagesConfig>,
  env: StepEnv,
): Promise<{ pm: string; names: string[]; missing: string[]; unmatched: string[] }> {
  const [distro, distro_version, pm] = await Promise.all([
    env.facts.get('distro'),
    env.facts.get('distro_version'),
    env.facts.get('pkg_manager'),
  ]);
  if (!pm) throw new Error('no supported package manager on this host (apt, dnf, yum, brew)');
  const { names, unmatched } = packagesFor(step.config.packages, { distro, distro_version, pkg_manager: pm });
  return { pm: String(pm), names, missing: names.length ? await notInstalled(names, env) : [], unmatched };
}

/** Which of `names` are not installed on this host (a `verify: apt` item asks this too). */
export async function notInstalled(names: readonly string[], env: StepEnv): Promise<string[]> {
  const pm = String((await env.facts.get('pkg_manager')) ?? '');
  if (!pm) throw new Error('no supported package manager on this host (apt, dnf, yum, brew)');
  if (pm === 'apt') {
    const status = await dpkgStatus(env);
    return names.filter((n) => !isInstalled(status, n));
  }
  const argv = queryArgv(pm, names)!;
  const r = await env.memo.get(`pkgquery:${argv.join(' ')}`, () => env.runner.run({ argv, timeoutMs: 60_000 }));
  if (r.spawnError) throw new Error(r.spawnError);
  const found = parseQuery(pm, names, r.stdout);
  return names.filter((n) => !found.has(n));
}

/** `packages`: system packages through apt (or dnf, yum, brew on those hosts), named per distro where they differ. */
export const packagesKind = defineKind<z.infer<typeof packagesSchema>, PackagesConfig>({
  kind: 'packages',
  aliases: ['apt'],
  description:
    'Installs system packages with the host’s package manager (apt-get; dnf, yum or brew on those hosts), as root or through sudo -n; package names may differ per distro and version. With a profile’s `apt.repository` (a bundle’s), apt installs from that folder only, with no network.',
  satisfiedWhen:
    'every package is installed (apt: read from dpkg’s status file once per run; also counts packages that provide a virtual name).',
  schema: packagesSchema,
  defaultRoot: true,
  resolve: (spec, t) => {
    const list = t.deep(Array.isArray(spec) ? spec : spec.packages) as PackageEntry[];
    // Names may come from variables: check them once rendered.
    for (const e of list)
      for (const n of typeof e === 'string' ? [e] : Object.values(e).flat()) {
        if (n !== null && !/^[A-Za-z0-9][A-Za-z0-9+.:_@/-]*$/.test(n)) throw new Error(`"${n}" is not a package name`);
      }
    return { packages: list, update: Array.isArray(spec) ? false : (spec.update ?? false) };
  },
  facts: ['distro', 'distro_version', 'pkg_manager'],
  describe: (step, env, facts) => {
    const pm = String(facts.pkg_manager ?? '');
    const { names, unmatched } = packagesFor(step.config.packages, {
      distro: facts.distro ?? null,
      distro_version: facts.distro_version ?? null,
      pkg_manager: facts.pkg_manager ?? null,
    });
    const repo = pm === 'apt' && names.length ? env.profile.apt?.repository : undefined;
    const summary = `install ${names.join(', ') || '(nothing on this host)'}${repo ? ` from ${repo}` : ''}${unmatched.length ? ` (no name for this host in ${unmatched.join(', ')})` : ''}`;
    if (!pm || !names.length) return { summary };
    // The plan shows the short form; the run adds apt's non-interactive dpkg options.
    const pins = pm === 'apt' ? step.config.pins : undefined;
    const asked = pins ? ['--allow-downgrades', ...pinnedNames(names, pins)] : names;
    const install = pm === 'apt' ? ['apt-get', 'install', '-y', ...asked] : installArgv(pm, names);
    return {
      summary,
      commands: [[...(step.config.update ? [updateArgv(pm)!.join(' ')] : []), install.join(' ')].join(' && ')],
    };
  },
  check: async (step, env) => {
    let r: Awaited<ReturnType<typeof missingPackages>>;
    try {
      r = await missingPackages(step, env);
    } catch (e) {
      return { state: 'unknown', reason: (e as Error).message };
    }
    if (r.unmatched.length)
      return {
        state: 'unknown',
        reason: `no package named for this host in ${r.unmatched.join(', ')}: add a key for it or "default"`,
      };
    if (!r.names.length) return { state: 'satisfied', reason: 'nothing to install on this host' };
    if (r.missing.length) return { state: 'unsatisfied', reason: `not installed: ${r.missing.join(', ')}` };
    const off = await offLock(step, r.pm, r.names, env).catch(
      (e: unknown) => new Error(e instanceof Error ? e.message : String(e)),
    );
    if (off instanceof Error) return { state: 'unknown', reason: off.message };
    if (off.size)
      return {
        state: 'unsatisfied',
        reason: [...off].map(([n, v]) => `${n}: locked ${step.config.pins![n]!.version}, installed ${v}`).join('; '),
      };
    return { state: 'satisfied', reason: `installed: ${r.names.join(', ')}` };
  },
  locked: lockedPackages,
  preview: async (step, env) => {
    const pins = step.config.pins;
    if (!pins) return { notes: [] };
    const { pm, names, missing } = await missingPackages(step, env);
    if (pm !== 'apt') return { notes: [] };
    const off = await offLock(
      step,
      pm,
      names.filter((n) => !missing.includes(n)),
      env,
    );
    for (const n of missing) if (Object.hasOwn(pins, n)) off.set(n, '');
    const lacking = await unavailablePins(env.runner, off, pins, await aptOptionsFor(env));
    return lacking.length ? { blocked: lacking.join('; '), notes: [] } : { notes: [] };
  },
  lock: async (step, env) => {
    const { pm, names } = await missingPackages(step, env);
    if (!names.length) return undefined;
    const status = pm === 'apt' ? await dpkgStatus(env) : undefined;
    const real = (n: string): string => (status ? (isInstalled(status, n) ?? n) : n);
    return packagesLockEntry(pm, await installedVersions(env.runner, pm, names, real));
  },
  bundle: async (step, ctx) => {
    const { pm, names, unmatched } = await missingPackages(step, ctx.env);
    const noName = unmatched.map(
      (e) => `packages: no package named for this host in ${e}: add a key for it or "default"`,
    );
    if (!names.length) return { items: [], missing: noName, profile: {} };
    if (pm !== 'apt')
      return {
        items: [],
        missing: [
          `packages: bundling ${pm} packages is not supported yet (only apt): install ${names.join(', ')} on the target another way`,
        ],
        profile: {},
      };
    const call = {
      runner: ctx.env.runner,
      options: await aptOptionsFor(ctx.env),
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    };
    const r = await bundleApt(names, ctx, call, await dpkgStatus(ctx.env));
    return noName.length ? { ...r, missing: [...noName, ...r.missing] } : r;
  },
  resolveLock: async (step, env) => {
    const { pm, names } = await missingPackages(step, env);
    if (!names.length) return undefined;
    if (pm !== 'apt') throw new Error(`--resolve reads candidate versions from apt only, not ${pm}`);
    return packagesLockEntry(pm, await resolvedVersions(env.runner, names, await aptOptionsFor(env)));
  },
  shell: (step, ctx) => {
    const f = ctx.facts;
    const pm = String(f.pkg_manager ?? '');
    const { names, unmatched } = packagesFor(step.config.packages, {
      distro: f.distro ?? null,
      distro_version: f.distro_version ?? null,
      pkg_manager: f.pkg_manager ?? null,
    });
    if (unmatched.length) throw new Error(`no package named for this host in ${unmatched.join(', ')}`);
    if (!names.length) return { check: 'true', apply: 'true' };
    if (ctx.env.profile.apt?.repository && pm === 'apt')
      throw new Error(`the mirror profile's apt.repository (a bundle's .deb files) is not available to the sh export`);
    const words = (argv: readonly string[]): string => argv.map(ctx.q).join(' ');
    const check =
      pm === 'apt'
        ? names
            .map((n) => `[ "$(dpkg-query -W -f='\${db:Status-Status}' ${ctx.q(n)} 2>/dev/null)" = installed ]`)
            .join(' && ')
        : pm === 'dnf' || pm === 'yum'
          ? `rpm -q ${words(names)} >/dev/null`
          : pm === 'brew'
            ? `brew list --versions ${words(names)} >/dev/null`
            : undefined;
    if (!check) throw new Error(`no package manager the sh export knows on this host (${pm || 'none found'})`);
    const update = updateArgv(pm);
    const env = pm === 'apt' ? 'export DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=a\n' : '';
    const apply = `${env}${
      update && (step.config.update || pm === 'apt')
        ? // apt: as setup, the lists are refreshed when the step asks, or when the host has none.
          step.config.update || pm !== 'apt'
          ? `${words(update)}\n`
          : `ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1 || ${words(update)}\n`
        : ''
    }${words(installArgv(pm, names))}`;
    return {
      check,
      apply,
      limits:
        pm === 'apt'
          ? [
              'packages: a virtual package name counts as installed only by its own name (setup also accepts the package providing it)',
            ]
          : [],
    };
  },
  apply: async (step, env) => {
    const found = await missingPackages(step, env);
    const { pm } = found;
    const off = await offLock(
      step,
      pm,
      found.names.filter((n) => !found.missing.includes(n)),
      env,
    );
    const todo = [...found.missing, ...off.keys()];
    if (!todo.length) return;
    // `run --locked`: each name at its locked version, a downgrade allowed (the lock is what was installed).
    const pins = pm === 'apt' ? step.config.pins : undefined;
    const missing = pins ? ['--allow-downgrades', ...pinnedNames(todo, pins)] : todo;
    const root = pm !== 'brew';
    const envVars: Record<string, string> =
      pm === 'apt' ? { DEBIAN_FRONTEND: 'noninteractive', NEEDRESTART_MODE: 'a' } : {};
    const repo = pm === 'apt' ? env.profile.apt?.repository : undefined;
    if (repo) {
      // The profile's repository and nothing else: the host's sources (unreachable on an air-gapped machine)
      // are never asked, and the host's lists are not touched.
      const p = privateApt(repo, env.paths.cache);
      await env.once(`pkg-update:apt:${repo}`, async () => {
        await preparePrivateApt(p);
        env.log(`reading the package index of ${repo}`);
        await env.exec({ argv: ['apt-get', ...p.options, 'update'] }, { env: envVars, root });
      });
      await env.exec({ argv: installArgv(pm, missing, p.options) }, { env: envVars, root });
      return;
    }
    const update = updateArgv(pm);
    const refresh = (): Promise<void> =>
      env.once(`pkg-update:${pm}`, async () => {
        env.log(`refreshing the package lists (${update!.join(' ')})`);
        await env.exec({ argv: update! }, { env: envVars, root });
      });
    let updated = false;
    if (update && (step.config.update || (pm === 'apt' && !(await hasAptLists())))) {
      await refresh();
      updated = true;
    }
    try {
      await env.exec({ argv: installArgv(pm, missing) }, { env: envVars, root });
    } catch (e) {
      if (!update || updated || !(e instanceof StepFailure) || !needsUpdate((e.details.tail ?? []).join('\n'))) throw e;
      await refresh();
      await env.exec({ argv: installArgv(pm, missing) }, { env: envVars, root });
    }
  },
  examples: [
    `- name: Build tools\n  packages: [build-essential, gfortran, pkg-config, git]`,
    `- name: OpenGL runtime\n  packages:\n    packages:\n      - { debian: libgl1, ubuntu: libgl1, "ubuntu:20.04": libgl1-mesa-glx, dnf: mesa-libGL, brew: null }\n    update: true`,
  ],
});

async function hasAptLists(): Promise<boolean> {
  const names = await fs.readdir(APT_LISTS).catch(() => [] as string[]);
  return names.some((n) => n.endsWith('_Packages') || n.endsWith('_Packages.lz4') || n.endsWith('_Packages.gz'));
}
