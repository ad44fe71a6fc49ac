import fs from 'node:fs';
import path from 'node:path';
import * as z from '../util/zod.js';
import { argvToString } from '../util/shell.js';
import {
  locatePython,
  majorMinor,
  probePython,
  pythonLabel,
  pythonShell,
  pythonSpec,
  readPyvenvCfg,
  venvPython,
  type PythonInfo,
  type PythonSpec,
} from './python.js';
import { defineKind, StepFailure, type CheckResult, type StepEnv } from './types.js';

const venvSchema = z.strictObject({
  path: z
    .string()
    .min(1)
    .meta({
      description: 'The venv folder (~/ allowed). An existing folder that is not a venv is never touched.',
      examples: ['~/venvs/nlp', '{{ prefix }}/venvs/jupyter'],
    }),
  python: z
    .string({ error: 'expected a string: quote versions, e.g. python: "3.10"' })
    .min(1)
    .optional()
    .meta({
      description:
        'A version like "3.11" (found as python3.11 on PATH, in ~/.pyenv/versions, or /usr/bin), an interpreter path, or a command. Default: python3 on PATH.',
      examples: ['3.11', '/usr/bin/python3'],
    }),
  'system-site-packages': z
    .boolean()
    .optional()
    .meta({
      description: 'Let the venv see the base python’s packages (--system-site-packages). Default: false.',
      examples: [true],
    }),
});

/** A venv step, rendered. */
export interface VenvConfig {
  path: string;
  python?: PythonSpec;
  systemSitePackages: boolean;
}

/** What is at a venv step's path now. */
type Found =
  | { kind: 'absent' }
  | { kind: 'empty' }
  | { kind: 'occupied'; why: string }
  | { kind: 'venv'; cfg: Record<string, string>; info: PythonInfo | Error };

/** Looks at the path: nothing, an empty folder, something else, or a venv (whose python is asked its version). */
async function inspect(dir: string, env: StepEnv): Promise<Found> {
  const st = await fs.promises.stat(dir).catch(() => null); // a symlink to a venv is a venv
  if (!st)
    return (await fs.promises.lstat(dir).catch(() => null))
      ? { kind: 'occupied', why: 'a symlink to nothing' }
      : { kind: 'absent' };
  if (!st.isDirectory()) return { kind: 'occupied', why: 'it is not a folder' };
  const cfg = readPyvenvCfg(dir);
  if (!cfg)
    return (await fs.promises.readdir(dir)).length
      ? { kind: 'occupied', why: 'a folder without pyvenv.cfg' }
      : { kind: 'empty' };
  return { kind: 'venv', cfg, info: await probePython(venvPython(dir), env) };
}

/**
 * The base interpreter a venv was made with, when it is gone (removed or moved after the venv was made): the
 * end of `bin/python`'s links that does not exist, else pyvenv.cfg's `executable` or `home` when missing. Such
 * a venv can never run again, and `python -m venv` cannot repair it in place.
 */
export function goneBase(dir: string, cfg: Record<string, string>): string | undefined {
  let p = venvPython(dir);
  for (let hops = 0; hops < 40; hops++) {
    const st = fs.lstatSync(p, { throwIfNoEntry: false });
    if (!st) return hops ? p : undefined; // no bin/python at all: a half-made venv, which venv itself repairs
    if (!st.isSymbolicLink()) break;
    p = path.resolve(path.dirname(p), fs.readlinkSync(p));
  }
  for (const key of ['executable', 'home']) {
    const v = cfg[key];
    if (v && path.isAbsolute(v) && !fs.existsSync(v)) return v;
  }
  return undefined;
}

/** How to get the python a step asks for, when it cannot be found. */
function pythonHint(c: VenvConfig): string {
  const v = c.python && 'version' in c.python ? c.python.version : undefined;
  return v
    ? `install python ${v} (e.g. pyenv install ${v}, or apt install python${v} python${v}-venv), or set python: to an interpreter path`
    : c.python
      ? 'install it, or set python: to an interpreter that exists'
      : 'install python3, or set python: to an interpreter path';
}

/** The venv's major.minor: from its python, else (when that does not run) from pyvenv.cfg. */
function venvMinor(f: Extract<Found, { kind: 'venv' }>): string | undefined {
  if (!(f.info instanceof Error)) return f.info.minor;
  const v = f.cfg['version_info'] ?? f.cfg['version'];
  return v ? majorMinor(v) : undefined;
}

/** The major.minor the step wants: its version, or what its interpreter says; undefined when any will do. */
async function wantedMinor(c: VenvConfig, env: StepEnv): Promise<string | Error | undefined> {
  if (!c.python) return undefined;
  if ('version' in c.python) return c.python.version;
  const found = await locatePython(c.python, env);
  if (found instanceof Error) return found;
  const info = await probePython(found.exe, env);
  return info instanceof Error ? info : info.minor;
}

/**
 * Installs pip (and setuptools where that python's venv has it) into a venv made `--without-pip`, the way
 * `python -m venv` does — ensurepip's own wheels, offline — with `--no-compile` added to its pip command.
 * `_run_pip` and `_bootstrap` are ensurepip's internals (3.8 to 3.13); where they differ, this fails and
 * the step falls back to `python -m ensurepip`.
 */
const BOOTSTRAP_PIP = [
  'import ensurepip as e',
  'run = e._run_pip',
  'e._run_pip = lambda args, *rest, **kw: run([args[0], "--no-compile", *args[1:]], *rest, **kw)',
  'e._bootstrap(upgrade=True, default_pip=True)',
].join('\n');

const ssp = (cfg: Record<string, string>): boolean => /^true$/i.test(cfg['include-system-site-packages'] ?? '');

/** `venv`: a Python virtual environment of a given python at a path. */
export const venvKind = defineKind<z.infer<typeof venvSchema>, VenvConfig>({
  kind: 'venv',
  description:
    'Creates a Python virtual environment (`python -m venv`) with a given python: a version found on the host, an interpreter path, or python3 on PATH.',
  satisfiedWhen:
    '`path/bin/python` runs (one call printing its version) with the wanted major.minor, and system-site-packages is as asked.',
  schema: venvSchema,
  resolve: (spec, t) => ({
    path: t.path(spec.path),
    python: spec.python ? pythonSpec(t.str(spec.python), t.path) : undefined,
    systemSitePackages: spec['system-site-packages'] ?? false,
  }),
  describe: (step, env) => {
    const c = step.config;
    const argv = [
      pythonLabel(c.python, env),
      '-m',
      'venv',
      ...(c.systemSitePackages ? ['--system-site-packages'] : []),
      c.path,
    ];
    return {
      summary: `venv ${c.path}${c.python ? ` (${'version' in c.python ? `python ${c.python.version}` : argv[0]})` : ''}`,
      commands: [argvToString(argv)],
      files: [c.path],
    };
  },
  check: async (step, env): Promise<CheckResult> => {
    const c = step.config;
    const f = await inspect(c.path, env);
    if (f.kind === 'occupied')
      return {
        state: 'unsatisfied',
        reason: `${c.path} exists and is not a venv (${f.why}); setup will not overwrite it`,
      };
    const gone = f.kind === 'venv' && f.info instanceof Error ? goneBase(c.path, f.cfg) : undefined;
    if (f.kind === 'absent' || f.kind === 'empty' || gone) {
      const what =
        f.kind === 'absent'
          ? `${c.path} does not exist`
          : f.kind === 'empty'
            ? `${c.path} is an empty folder`
            : `${c.path} is a broken venv: its base interpreter ${gone} is gone (run makes it again)`;
      // Making it needs the python it asks for: one that is not there blocks the step (cheap: a path, PATH, or the version search).
      const found = await locatePython(c.python, env);
      if (found instanceof Error)
        return { state: 'unsatisfied', reason: what, blocked: `${found.message}: ${pythonHint(c)}` };
      return {
        state: 'unsatisfied',
        reason: found.info ? `${what} (python ${found.info.version}: ${found.exe})` : what,
      };
    }
    const want = await wantedMinor(c, env);
    if (want instanceof Error)
      return { state: 'unknown', reason: `cannot tell which python is wanted: ${want.message}` };
    const have = venvMinor(f);
    if (want && have && have !== want)
      return {
        state: 'unsatisfied',
        reason: `${c.path} is a python ${have} venv, wants ${want} (setup will not replace it: remove it first)`,
      };
    if (f.info instanceof Error)
      return { state: 'unsatisfied', reason: `${venvPython(c.path)} does not run (${f.info.message})` };
    if (ssp(f.cfg) !== c.systemSitePackages)
      return {
        state: 'unsatisfied',
        reason: `${c.path} has system-site-packages ${ssp(f.cfg)}, wants ${c.systemSitePackages}`,
      };
    return { state: 'satisfied', reason: `${c.path} is a python ${f.info.version} venv` };
  },
  shell: (step, ctx) => {
    const c = step.config;
    const p = ctx.q(c.path);
    const py = ctx.q(venvPython(c.path));
    const minor = c.python && 'version' in c.python ? c.python.version.split('.').slice(0, 2).join('.') : undefined;
    const ssp = c.systemSitePackages ? 'true' : 'false';
    const minorCheck = minor
      ? ` && [ "$(${py} -c 'import sys; print("%d.%d" % sys.version_info[:2])')" = ${ctx.q(minor)} ]`
      : '';
    return {
      check: `${py} -c 'import sys; sys.exit(sys.prefix == sys.base_prefix)' 2>/dev/null && grep -qix 'include-system-site-packages = ${ssp}' ${p}/pyvenv.cfg${minorCheck}`,
      apply: [
        `if [ -e ${p} ] && [ ! -e ${p}/pyvenv.cfg ] && [ -n "$(ls -A ${p})" ]; then`,
        `  echo ${ctx.q(`${c.path} exists and is not a venv: setup does not overwrite it`)} >&2; exit 1`,
        'fi',
        `${pythonShell(c.python, ctx.q)} -m venv${c.systemSitePackages ? ' --system-site-packages' : ''} ${p}`,
      ].join('\n'),
    };
  },
  apply: async (step, env) => {
    const c = step.config;
    let f = await inspect(c.path, env);
    if (f.kind === 'occupied') {
      throw new StepFailure(`${c.path} exists and is not a venv (${f.why})`, {
        hint: 'setup does not overwrite it: move it away, or give the venv step another path',
      });
    }
    const want = await wantedMinor(c, env);
    if (want instanceof Error)
      throw new StepFailure(want.message, { hint: 'point python: at an interpreter that runs' });
    const gone = f.kind === 'venv' && f.info instanceof Error ? goneBase(c.path, f.cfg) : undefined;
    if (f.kind === 'venv' && !gone) {
      const have = venvMinor(f);
      if (want && have && have !== want) {
        throw new StepFailure(`${c.path} is a python ${have} venv, wants ${want}`, {
          hint: `remove it (rm -rf ${c.path}) to have it made again with python ${want}, or ask for python: "${have}"`,
        });
      }
    }
    const found = await locatePython(c.python, env);
    if (found instanceof Error) throw new StepFailure(found.message, { hint: pythonHint(c) });
    if (gone) {
      // Never repaired in place (venv itself fails on the dead links): made again, once it is sure this is a venv.
      if ((await fs.promises.lstat(c.path)).isSymbolicLink() || !readPyvenvCfg(c.path))
        throw new StepFailure(`${c.path} is a broken venv (its base interpreter ${gone} is gone)`, {
          hint: `setup removes only a venv folder itself: remove ${c.path} (and what it points to) and run again`,
        });
      env.log(`${c.path} is a broken venv: its base interpreter ${gone} is gone; removing it to make it again`);
      await fs.promises.rm(c.path, { recursive: true, force: true });
      f = { kind: 'absent' };
    }
    const ssp = c.systemSitePackages ? ['--system-site-packages'] : [];
    const noVenvModule = (e: unknown): never => {
      if (!(e instanceof StepFailure)) throw e;
      const text = (e.details.tail ?? []).join('\n');
      if (!/ensurepip|No module named venv/.test(text)) throw e;
      const minor = found.info?.minor ?? want ?? '3';
      throw new StepFailure(e.message, {
        ...e.details,
        hint: `${found.exe} cannot make venvs with pip: install its venv module (Debian/Ubuntu: apt install python${minor}-venv), or use another python`,
      });
    };
    if (f.kind === 'venv') {
      // Over an existing venv of the same python (broken, or another system-site-packages) this updates it in place, keeping its packages.
      await env.exec({ argv: [found.exe, '-m', 'venv', ...ssp, c.path] }).catch(noVenvModule);
    } else {
      // What `python -m venv` does, less its slowest part: the venv first, then pip from ensurepip's own
      // wheels without compiling pip's thousand modules (they compile as pip first imports them, as uv
      // leaves bytecode to the first import). Half made (no pip), the venv is removed: never left to pass.
      await env.exec({ argv: [found.exe, '-m', 'venv', '--without-pip', ...ssp, c.path] }).catch(noVenvModule);
      try {
        await env.exec({ argv: [venvPython(c.path), '-c', BOOTSTRAP_PIP] }).catch(async (e: unknown) => {
          if (!(e instanceof StepFailure)) throw e;
          env.log('pip did not install that way here; again with python -m ensurepip, as python -m venv does');
          await env.exec({ argv: [venvPython(c.path), '-m', 'ensurepip', '--upgrade', '--default-pip'] });
        });
      } catch (e) {
        const made = f.kind === 'empty' ? (await fs.promises.readdir(c.path)).map((n) => `${c.path}/${n}`) : [c.path];
        for (const p of made) await fs.promises.rm(p, { recursive: true, force: true });
        noVenvModule(e);
      }
    }
    env.log(`${f.kind === 'venv' ? 'updated' : 'created'} the venv ${c.path} with ${found.exe}`);
  },
  examples: [
    `- name: Project venv\n  venv: { path: ~/venvs/project, python: "3.11" }`,
    `- name: Venv that sees the system packages\n  venv:\n    path: ~/venvs/tools\n    python: /usr/bin/python3\n    system-site-packages: true`,
  ],
});
