import fs from 'node:fs';
import path from 'node:path';
import * as z from '../util/zod.js';
import { argvToString } from '../util/shell.js';
import { deadIndex, indexOptions, installArgv, type PipConfig } from './pip/command.js';
import { evaluateSpecs, type Evaluation } from './pip/evaluate.js';
import { importFailureHint, pipFailureHint, UNREACHABLE } from './pip/hints.js';
import { judge } from './pip/judge.js';
import { bundlePip } from './pip/bundle.js';
import { pipShell } from './pip/shell.js';
import { installedDistributions, pipLockEntry } from './pip/lock.js';
import { lockedPip } from './pip/locked.js';
import { missingPins, previewPip } from './pip/resolve.js';
import { ownIndexes } from './pip/own-index.js';
import { resolvePipLock } from './pip/resolve-lock.js';
import { pipTogether } from './pip/together.js';
import { recipeStepsOf } from './inputs.js';
import type { VenvConfig } from './venv.js';
import { parseRequirement } from './pip/requirement.js';
import { readRequirementFiles, requirementFilesDigest, type StepRequirements } from './pip/requirements-file.js';
import { locatePython, pythonLabel, pythonSpec, venvPython } from './python.js';
import { defineKind, StepFailure, type ApplyEnv, type CheckResult, type ResolvedStep, type StepEnv } from './types.js';
import { scanTemplate } from '../lang/template.js';

const one = (description: string, examples: unknown[]) =>
  z
    .union([z.string().min(1), z.array(z.string().min(1))])
    .optional()
    .meta({ description, examples });
const packages = z.array(z.string().min(1)).min(1);
const pipSchema = z.union(
  [
    packages.meta({
      description:
        'Requirement specs (PEP 508): `numpy==1.26.4`, `transformers[torch]>=4.30`, `foo; python_version < "3.10"`.',
      examples: [['numpy==1.26.4', 'transformers[torch]>=4.30']],
    }),
    z.strictObject({
      packages: packages.optional().meta({
        description:
          'Requirement specs (PEP 508): `numpy==1.26.4`, `transformers[torch]>=4.30`, `foo; python_version < "3.10"`. Optional with `requirements:`.',
        examples: [['torch==2.2.2', 'torchvision==0.17.2']],
      }),
      requirements: one(
        'Requirements files (what `pip install -r` takes), relative to the recipe file’s folder, templates allowed: their requirements join `packages:`. The check reads them and their `-r`/`-c` includes; lines it cannot judge from what is installed (`-e`, a URL or path without a name) leave the step to pip (could not tell); a changed file is a changed input.',
        ['requirements.txt', ['requirements.txt', 'requirements-dev.txt']],
      ),
      constraints: one(
        'Constraints files (`pip install -c`), relative to the recipe file’s folder: versions that bind what is installed, without asking for it.',
        ['constraints.txt'],
      ),
      python: z
        .string({ error: 'expected a string: quote versions, e.g. python: "3.10"' })
        .min(1)
        .optional()
        .meta({
          description:
            'The interpreter to install into: a path, a command on PATH, or a version like "3.11" found on the host. Default: python3 on PATH.',
          examples: ['3.11', '/usr/bin/python3'],
        }),
      venv: z
        .string()
        .min(1)
        .optional()
        .meta({
          description: 'Install into this venv (its bin/python); it may be created by an earlier venv step.',
          examples: ['~/venvs/nlp'],
        }),
      'index-url': z
        .string()
        .min(1)
        .optional()
        .meta({
          description: 'The package index; default: the mirror profile’s pip.index-url, else pip’s own.',
          examples: ['https://pypi.tuna.tsinghua.edu.cn/simple'],
        }),
      'extra-index-url': one('More indexes (default: the mirror profile’s pip.extra-index-url; [] for none).', [
        'https://download.pytorch.org/whl/cpu',
        [],
      ]),
      'trusted-host': one(
        'Hosts pip may reach without valid TLS (default: the mirror profile’s pip.trusted-host; [] for none).',
        ['pypi.tuna.tsinghua.edu.cn'],
      ),
      upgrade: z
        .boolean()
        .optional()
        .meta({ description: 'Pass --upgrade: the step then always runs (the plan says so).', examples: [true] }),
      pre: z
        .boolean()
        .optional()
        .meta({ description: 'Pass --pre: allow pre-releases.', examples: [true] }),
      'no-deps': z
        .boolean()
        .optional()
        .meta({ description: 'Pass --no-deps: install only the listed packages.', examples: [true] }),
      args: z
        .array(z.string())
        .optional()
        .meta({
          description: 'More pip install arguments, e.g. [--break-system-packages] or [--no-cache-dir].',
          examples: [['--no-cache-dir'], ['--break-system-packages']],
        }),
      imports: z
        .array(z.string().regex(/^[A-Za-z_][\w.]*$/, 'a module name, e.g. torchvision'))
        .optional()
        .meta({
          description:
            'Modules that must import for the step to count as done (checked, in one interpreter call, once every requirement is met): a wheel built for another torch installs fine and fails here.',
          examples: [['torch', 'torchvision']],
        }),
    }),
  ],
  { error: 'expected a list of requirement specs, or { packages, requirements, venv, python, index-url, … }' },
);
type PipSpec = z.infer<typeof pipSchema>;
export type { PipConfig };

const list = (v: string | string[] | undefined): string[] | undefined =>
  v === undefined ? undefined : Array.isArray(v) ? v : [v];

/** The interpreter a step installs into: found, or why not (a venv made by an earlier step may not exist yet). */
async function target(c: PipConfig, env: StepEnv): Promise<{ exe: string } | { missing: string }> {
  if (c.venv) {
    const exe = venvPython(c.venv);
    if (fs.existsSync(exe)) return { exe };
    return {
      missing: fs.existsSync(c.venv)
        ? `${c.venv} is not a venv (it has no bin/python)`
        : `${c.venv} does not exist yet`,
    };
  }
  const found = await locatePython(c.python, env);
  return found instanceof Error ? { missing: found.message } : { exe: found.exe };
}

const memoKey = (exe: string, stepEnv: Record<string, string>): string => `pip:eval:${exe}:${JSON.stringify(stepEnv)}`;

/** The evaluation of a step's specs: from the batch `prefetch` stored, topped up by one call for specs it lacks. */
async function evaluation(
  step: ResolvedStep<PipConfig>,
  exe: string,
  env: StepEnv,
  specs: readonly string[] = step.config.packages,
): Promise<Evaluation | Error> {
  const key = memoKey(exe, step.common.env);
  const batch = await env.memo.get(key, () => evaluateSpecs(exe, [...specs], env, step.common.env));
  if (batch instanceof Error) return batch;
  const lacking = specs.filter((s) => !batch.results.has(s));
  if (!lacking.length) return batch;
  const more = await env.memo.get(`${key}:${lacking.join('\n')}`, () =>
    evaluateSpecs(exe, lacking, env, step.common.env),
  );
  return more instanceof Error ? more : { ...more, results: new Map([...batch.results, ...more.results]) };
}

/** What the step's requirements stand on (each one's installed closure), or undefined when any is not known. */
function closureDigest(specs: readonly string[], ev: Evaluation): string | undefined {
  const parts = specs.map((s) => ev.results.get(s)).map((r) => (r?.state === 'skipped' ? '-' : r?.closure));
  return parts.every((p) => p) ? parts.join(',') : undefined;
}

/**
 * What a step's requirements files add to the judgement of its specs: a constraint an installed version
 * breaks makes it unsatisfied; a line envkit cannot judge (`-e`, a URL) leaves it to pip: could not tell.
 */
function judgeFiles(judged: CheckResult, files: StepRequirements, ev: Evaluation): CheckResult {
  const broken = files.constraints.flatMap((spec) => {
    const r = ev.results.get(spec);
    return r?.state === 'mismatch' || r?.state === 'badversion'
      ? [`${r.name ?? spec} ${r.have} is installed, the constraint wants ${r.want ?? spec}`]
      : [];
  });
  const opaque = files.opaque.length
    ? `${files.opaque.slice(0, 3).join('; ')}${files.opaque.length > 3 ? ` and ${files.opaque.length - 3} more` : ''} cannot be judged without running pip`
    : '';
  if (broken.length)
    return {
      state: 'unsatisfied',
      reason: [judged.state === 'unsatisfied' ? judged.reason : '', ...broken].filter(Boolean).join('; '),
    };
  if (judged.state === 'satisfied' && opaque) return { state: 'unknown', reason: `${judged.reason}; but ${opaque}` };
  return judged;
}

/** Imports the modules in one interpreter call; why the first that fails does, or null when all import. */
async function importFailure(
  exe: string,
  modules: readonly string[],
  env: StepEnv,
  stepEnv: Record<string, string>,
): Promise<string | null> {
  const script = `import importlib, sys\nfor m in sys.argv[1:]:\n    try:\n        importlib.import_module(m)\n    except BaseException as e:\n        print("import %s fails: %s: %s" % (m, type(e).__name__, str(e).strip().splitlines()[-1] if str(e).strip() else ""))\n        sys.exit(1)\n`;
  const r = await env.runner.run({
    argv: [exe, '-B', '-c', script, ...modules],
    env: { ...stepEnv, PYTHONDONTWRITEBYTECODE: '1' },
    cwd: env.paths.home,
    timeoutMs: IMPORT_TIMEOUT_MS,
  });
  if (r.exitCode === 0) return null;
  if (r.timedOut) return `importing ${modules.join(', ')} did not finish in ${IMPORT_TIMEOUT_MS / 1000}s`;
  const line =
    r.stdout.trim().split('\n').pop() ||
    (r.stderr.trim().split('\n').pop() ?? '') ||
    `${exe} exited ${r.exitCode ?? r.signal}`;
  return line.length > 240 ? `${line.slice(0, 240)}…` : line;
}

const IMPORT_TIMEOUT_MS = 120_000;

/** Steps whose `upgrade: true` install has run in this invocation: their re-check then looks at the specs. */
const upgradedNow = new WeakSet<ResolvedStep<PipConfig>>();

/**
 * pip compiles every file it installs to bytecode on one core, a good part of a large install (jupyter,
 * transformers: thousands of modules). Into a venv on a machine with more cores, setup installs with
 * `--no-compile` and then compiles the venv's site-packages on all of them (`compileall`, which skips what is
 * compiled already): the same .pyc files, sooner. Elsewhere (an interpreter's own site-packages, a recipe
 * that says `--compile`/`--no-compile` itself, one CPU) pip does it as it always does.
 */
function compilesAfter(c: PipConfig, env: ApplyEnv): boolean {
  return !!c.venv && env.cpus > 1 && !c.args.some((a) => a === '--compile' || a === '--no-compile');
}

const COMPILE_SCRIPT = [
  'import compileall, sys, sysconfig',
  'paths = sysconfig.get_paths()',
  'for d in sorted({paths["purelib"], paths["platlib"]}):',
  '    compileall.compile_dir(d, quiet=2, workers=int(sys.argv[1]))',
].join('\n');

/** The install command, with `--no-compile` when the venv is compiled after it (compilesAfter). */
async function install(c: PipConfig, exe: string, env: ApplyEnv): Promise<void> {
  const after = compilesAfter(c, env);
  await env.exec({ argv: installArgv(c, exe, env.profile, after ? ['--no-compile'] : []) });
  if (!after) return;
  env.log(`compiling the installed modules on ${env.cpus} CPUs`);
  // A file that does not compile is left as pip leaves it (python 2 test files in some packages): never a failure.
  await env.exec({ argv: [exe, '-c', COMPILE_SCRIPT, String(env.cpus)] }).catch((e: unknown) => {
    if (!(e instanceof StepFailure) || env.signal.aborted) throw e;
    env.log(`compiling did not finish (${e.message}): modules compile as they are first imported`);
  });
}

/** `pip install` of one step's requirements; a failure says what the index lacks, with the --set that picks another. */
async function installAlone(step: ResolvedStep<PipConfig>, exe: string, env: ApplyEnv): Promise<void> {
  const c = step.config;
  const { indexUrl } = indexOptions(c, env.profile);
  try {
    await install(c, exe, env);
  } catch (e) {
    if (!(e instanceof StepFailure)) throw e;
    let hint = pipFailureHint(e.details.tail ?? [], { python: exe, inVenv: !!c.venv, indexUrl });
    // pip names the first version it cannot find; say every one at once, with the --set that picks another.
    const tail = (e.details.tail ?? []).join('\n');
    if (
      /No matching distribution found|Could not find a version that satisfies/.test(tail) &&
      !UNREACHABLE.test(tail) &&
      !/not a trusted or secure host/.test(tail)
    ) {
      const missing = await missingPins(c, exe, step.recipe, env).catch(() => []);
      if (missing.length)
        hint = `the index${indexUrl ? ` ${indexUrl}` : ''} lacks ${missing.map((m) => `${m.spec} (${m.versions.length ? `has ${m.versions.slice(0, 3).join(', ')}` : 'no version of it'}${m.set && m.versions.length ? `: --set ${m.set}=${m.versions[0]}` : ''})`).join('; ')}`;
    }
    throw hint ? new StepFailure(e.message, { ...e.details, hint }) : e;
  }
}

/** pip's words for requirements that cannot be met at once. */
const CONFLICT =
  /ResolutionImpossible|conflicting dependencies|Cannot install .* because these package versions have conflicting/;

/**
 * One `pip install` of this step's requirements and the later steps' (`together`): true when it worked. When
 * the steps ask for versions that cannot be installed together, the step fails saying which steps and what
 * pip found (one venv holds one version of each distribution: installing them one by one would leave the
 * later step's choice). Any other failure is left to this step alone (false): it runs by itself, with its own
 * hints, and the later steps in their turn.
 */
async function installTogether(
  step: ResolvedStep<PipConfig>,
  others: readonly ResolvedStep<PipConfig>[],
  exe: string,
  env: ApplyEnv,
): Promise<boolean> {
  const c = step.config;
  const all = [step, ...others];
  const joined: PipConfig = {
    ...c,
    packages: all.flatMap((s) => s.config.packages),
    requirementFiles: [
      ...(c.requirementFiles ?? []),
      ...others.flatMap((s) => (s.config.requirementFiles ?? []).filter((f) => !f.constraint)),
    ],
  };
  env.log(
    `installing with ${others.map((s) => s.id).join(', ')}: one pip install, one resolution for ${c.venv ?? 'the interpreter'}`,
  );
  try {
    await install(joined, exe, env);
    return true;
  } catch (e) {
    if (!(e instanceof StepFailure) || env.signal.aborted) throw e;
    const tail = e.details.tail ?? [];
    if (CONFLICT.test(tail.join('\n')))
      throw new StepFailure(
        `the pip steps ${all.map((s) => s.id).join(', ')} ask for versions that cannot be installed together`,
        {
          ...e.details,
          hint: `one ${c.venv ? 'venv' : 'interpreter'} holds one version of each distribution: pick versions that fit together (--set), or put one step into another venv`,
        },
      );
    env.log(`installing together failed (${e.message}); installing ${step.id} alone`);
    return false;
  }
}

/** `pip`: requirement specs installed into an interpreter or venv, through the mirror profile's index. */
export const pipKind = defineKind<PipSpec, PipConfig>({
  kind: 'pip',
  description:
    'Installs Python packages with `python -m pip install` into a venv or an interpreter (default: python3 on PATH), through the mirror profile’s index unless the step sets one.',
  satisfiedWhen:
    'every requirement spec is satisfied by the interpreter’s installed distributions (extras: the base distribution; specs whose marker does not apply are ignored), all read in one interpreter call; `upgrade: true` always runs.',
  schema: pipSchema,
  lint: (spec) => {
    const problems: { path: (string | number)[]; message: string; hint?: string }[] = [];
    const specs = Array.isArray(spec) ? spec : (spec.packages ?? []);
    const at = Array.isArray(spec) ? [] : ['packages'];
    if (!Array.isArray(spec) && !spec.packages && !spec.requirements)
      problems.push({
        path: [],
        message: 'a pip step needs packages:, requirements:, or both',
        hint: 'packages: [numpy==1.26.4], or requirements: requirements.txt (next to the recipe file)',
      });
    specs.forEach((s, i) => {
      if (s.includes('{{')) return; // checked once rendered
      const r = parseRequirement(s);
      if (r instanceof Error) problems.push({ path: [...at, i], message: r.message });
    });
    if (!Array.isArray(spec) && spec.python && spec.venv)
      problems.push({
        path: ['venv'],
        message: 'set either venv or python, not both',
        hint: 'venv: installs into that venv’s own python',
      });
    return problems;
  },
  recipeFiles: (spec) =>
    Array.isArray(spec)
      ? []
      : (['requirements', 'constraints'] as const).flatMap((key) => {
          const v = spec[key];
          if (v === undefined) return [];
          return Array.isArray(v) ? v.map((file, i) => ({ path: [key, i], file })) : [{ path: [key], file: v }];
        }),
  resolve: (spec, t) => {
    const o = Array.isArray(spec) ? { packages: spec } : spec;
    const raw = o.packages ?? [];
    const specs = raw.map((s) => t.str(s).trim());
    for (const s of specs) {
      const r = parseRequirement(s);
      if (r instanceof Error) throw r;
    }
    if ('python' in o && o.python && o.venv) throw new Error('set either venv or python, not both');
    const full = o as Exclude<PipSpec, string[]>;
    const requirementFiles = [
      ...(list(full.requirements) ?? []).map((f) => ({ path: t.file(f), constraint: false })),
      ...(list(full.constraints) ?? []).map((f) => ({ path: t.file(f), constraint: true })),
    ];
    return {
      packages: specs,
      ...(requirementFiles.length
        ? { requirementFiles, requirementsDigest: requirementFilesDigest(requirementFiles) }
        : {}),
      python: full.python ? pythonSpec(t.str(full.python), t.path) : undefined,
      venv: full.venv ? t.path(full.venv) : undefined,
      indexUrl: full['index-url'] ? t.str(full['index-url']) : undefined,
      extraIndexUrls: list(full['extra-index-url'])?.map((u) => t.str(u)),
      trustedHosts: list(full['trusted-host'])?.map((h) => t.str(h)),
      upgrade: full.upgrade ?? false,
      pre: full.pre ?? false,
      noDeps: full['no-deps'] ?? false,
      args: (full.args ?? []).map((a) => t.str(a)),
      imports: full.imports ?? [],
      pinVars: raw.map(
        (raw) =>
          scanTemplate(raw).refs.find((r) => !r.name.includes('.') && raw.lastIndexOf('==', r.start) !== -1)?.name,
      ),
    };
  },
  describe: (step, env) => {
    const c = step.config;
    const python = c.venv ? venvPython(c.venv) : pythonLabel(c.python, env);
    const { indexUrl, extra, trusted } = indexOptions(c, env.profile);
    const urls = [indexUrl, ...extra].filter((u): u is string => !!u);
    const warnings = urls
      .filter((u) => /^http:\/\//i.test(u) && !/^http:\/\/(127\.|localhost[:/]|\[::1\])/i.test(u))
      .map((u) => `pip index over plain http: ${u}`);
    warnings.push(
      ...trusted
        .filter((h) => !/^(127\.|localhost$|::1$)/.test(h))
        .map((h) => `trusted-host ${h}: pip skips TLS certificate checks for it`),
    );
    return {
      summary: `pip install ${[...(c.requirementFiles ?? []).map((f) => `${f.constraint ? '-c' : '-r'} ${path.basename(f.path)}`), ...c.packages].join(' ')}${c.venv ? ` into ${c.venv}` : ''}`,
      ...(c.requirementFiles?.length ? { files: c.requirementFiles.map((f) => f.path) } : {}),
      commands: [argvToString(installArgv(c, python, env.profile))],
      urls,
      ...(warnings.length ? { warnings } : {}),
    };
  },
  prefetch: async (steps, env) => {
    const groups = new Map<string, { exe: string; stepEnv: Record<string, string>; specs: Set<string> }>();
    for (const s of steps) {
      if (s.config.upgrade) continue;
      const t = await target(s.config, env);
      if (!('exe' in t)) continue;
      const key = memoKey(t.exe, s.common.env);
      const g = groups.get(key) ?? { exe: t.exe, stepEnv: s.common.env, specs: new Set<string>() };
      for (const spec of s.config.packages) g.specs.add(spec);
      groups.set(key, g);
    }
    await Promise.all(
      [...groups].map(([key, g]) => env.memo.get(key, () => evaluateSpecs(g.exe, [...g.specs], env, g.stepEnv))),
    );
  },
  preview: async (step, env) => {
    const p = await previewPip(step.config, step.recipe, env, step.common.env);
    if (p.kind === 'install') {
      const list = p.install.map((i) => `${i.name} ${i.version}`);
      return {
        install: p.install,
        notes: [
          list.length
            ? `would install ${list.length > 12 ? `${list.slice(0, 12).join(', ')} and ${list.length - 12} more` : list.join(', ')}`
            : 'would install nothing new',
        ],
      };
    }
    if (p.kind === 'unresolvable') return { blocked: p.reason, notes: p.lines };
    return { notes: [`could not resolve it beforehand: ${p.reason}`] };
  },
  check: async (step, env) => {
    const c = step.config;
    const t = await target(c, env);
    if (!('exe' in t)) return { state: 'unsatisfied', reason: t.missing };
    if (c.upgrade && !upgradedNow.has(step)) return { state: 'unsatisfied', reason: 'upgrade: true always runs' };
    let files: StepRequirements | undefined;
    try {
      files = c.requirementFiles?.length ? await readRequirementFiles(c.requirementFiles) : undefined;
    } catch (e) {
      return { state: 'unknown', reason: e instanceof Error ? e.message : String(e) };
    }
    const specs = files ? [...c.packages, ...files.specs] : c.packages;
    const ev = await evaluation(step, t.exe, env, [...specs, ...(files?.constraints ?? [])]);
    if (ev instanceof Error) return { state: 'unknown', reason: `cannot list the installed packages: ${ev.message}` };
    const breaks =
      c.args.includes('--break-system-packages') ||
      !!step.common.env.PIP_BREAK_SYSTEM_PACKAGES ||
      !!env.processEnv.PIP_BREAK_SYSTEM_PACKAGES;
    let judged = judge(specs, ev, { where: c.venv ?? t.exe, warnExternallyManaged: !breaks });
    if (files) judged = judgeFiles(judged, files, ev);
    if (judged.state !== 'satisfied' || !c.imports.length) return judged;
    // Importing torch takes seconds: the last successful run noted the installed set its imports passed
    // with; while that set is unchanged (a re-run of a converged stack) they are not imported again.
    const digest = closureDigest(specs, ev);
    if (digest && env.inputs?.recall(step, 'imports-passed-with') === digest)
      return {
        state: 'satisfied',
        reason: `${judged.reason}; ${c.imports.join(', ')} import (checked before with these same versions)`,
      };
    const failed = await env.memo.get(`pip:imports:${t.exe}:${c.imports.join(',')}`, () =>
      importFailure(t.exe, c.imports, env, step.common.env),
    );
    if (failed) return { state: 'unsatisfied', reason: failed };
    if (digest) env.inputs?.note(step, 'imports-passed-with', digest); // kept by `setup run` only
    return { state: 'satisfied', reason: `${judged.reason}; ${c.imports.join(', ')} import` };
  },
  locked: lockedPip,
  lock: async (step, env) => {
    const t = await target(step.config, env);
    if (!('exe' in t)) throw new Error(t.missing);
    return pipLockEntry(
      { venv: step.config.venv, exe: t.exe },
      await installedDistributions(t.exe, env, step.common.env),
    );
  },
  resolveLock: (step, env) => {
    // A venv made by an earlier step of the recipe, not there yet: resolve with the python that step would use.
    const maker = recipeStepsOf(step).find(
      (s) => s.kind === 'venv' && s.index < step.index && (s.config as VenvConfig).path === step.config.venv,
    );
    return resolvePipLock(step.config, env, step.common.env, (maker?.config as VenvConfig | undefined)?.python);
  },
  // The venv's interpreter when it exists, else the one it will be made from (the step's python).
  bundle: (step, ctx) =>
    bundlePip(step, ctx, async () => {
      const t = await target(step.config, ctx.env);
      if ('exe' in t) return t.exe;
      const found = await locatePython(step.config.python, ctx.env);
      if (found instanceof Error) throw found;
      return found.exe;
    }),
  shell: (step, ctx) => pipShell(step.config, ctx.env.profile, ctx.q),
  together: pipTogether,
  apply: async (step, env) => {
    const c = step.config;
    const t = await target(c, env);
    if (!('exe' in t)) {
      throw new StepFailure(t.missing, {
        hint: c.venv
          ? 'create it first: add a venv step (venv: { path: … }) before this one'
          : 'install that python, or point python: at an existing interpreter',
      });
    }
    const dead = await deadIndex(c, env, () => ownIndexes(t.exe, env, step.common.env));
    if (dead) throw new StepFailure(dead);
    // One resolution with the later steps `together` chose, else this step's requirements alone.
    const others = env.together.filter((s): s is ResolvedStep<PipConfig> => s.kind === 'pip');
    if (!others.length || !(await installTogether(step, others, t.exe, env))) await installAlone(step, t.exe, env);
    if (c.upgrade) upgradedNow.add(step);
    env.memo.clear();
    if (!c.imports.length) return;
    const failed = await importFailure(t.exe, c.imports, env, step.common.env);
    if (failed) {
      throw new StepFailure(`pip installed what was asked, but ${failed}`, { hint: importFailureHint(failed) });
    }
    const specs = c.requirementFiles?.length
      ? [...c.packages, ...(await readRequirementFiles(c.requirementFiles).catch(() => ({ specs: [] }))).specs]
      : c.packages;
    const ev = await evaluateSpecs(t.exe, specs, env, step.common.env);
    const digest = ev instanceof Error ? undefined : closureDigest(specs, ev);
    if (digest) env.inputs?.note(step, 'imports-passed-with', digest);
  },
  examples: [
    `- name: NLP stack\n  pip: ["torch==2.3.1", "transformers[torch]>=4.30", "sentencepiece; platform_machine == 'x86_64'"]`,
    `- name: Project packages in its venv\n  pip:\n    venv: ~/venvs/project\n    packages: [numpy~=1.26, jupyter]\n    index-url: https://pypi.tuna.tsinghua.edu.cn/simple`,
    `- name: CUDA wheels of PyTorch\n  pip:\n    venv: ~/venvs/project\n    packages: [torch==2.3.1]\n    extra-index-url: https://download.pytorch.org/whl/cu121\n    args: [--no-cache-dir]`,
  ],
});
