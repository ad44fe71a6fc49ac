import path from 'node:path';
import * as z from '../util/zod.js';
import type { Problem } from '../util/errors.js';
import { FACT_BY_ID } from '../facts/registry.js';
import { KIND_BY_KEY, KIND_BY_NAME } from '../steps/registry.js';
import { VERIFY_FORM_BY_NAME, VERIFY_FORMS, VERIFY_KINDS } from '../verify/registry.js';
import type { VerifyForm } from '../verify/types.js';
import type { KindLint } from '../steps/types.js';
import { closest, didYouMean } from '../util/did-you-mean.js';
import { nullProto } from '../util/keys.js';
import { BUILTIN_NAMES, isBuiltin } from '../lang/names.js';
import { rootEnvProblem } from '../util/shell.js';
import { commonStepShape, COMMON_STEP_KEYS, recipeTopShape, verifyCommonShape } from '../lang/schema.js';
import { readUserFileSync, UnreadableFile, unreadableProblem } from '../util/user-file.js';
import { parseYamlSource, SOURCE_LIMITS, type SourceDoc, type YamlPath } from '../lang/source.js';
import {
  CODE_PROGRAM,
  CODE_SCRIPT_FLAG,
  INTERPRETER,
  scanTemplate,
  shellTemplateProblems,
  walkStrings,
} from '../lang/template.js';
import { isInertType, varTypeProblem, varTypeText, type VarType } from '../lang/var-types.js';
import type { Origin, RawStep, RawVerify, Recipe } from './types.js';
import { validateWhen, type WhenMatcher } from '../lang/when.js';
import { describeInput, errorMap, zodProblems } from '../lang/zod-problems.js';

const topSchema = z.strictObject({
  ...recipeTopShape,
  steps: z.array(z.unknown()),
  verify: z.array(z.unknown()).optional(),
});

const stepSchemas = new Map<string, z.ZodObject>();
const verifySchemas = new Map<string, z.ZodObject>();

/** The zod schema of one step written with kind key `key` (a kind or its alias) plus the common keys. Built once per key (zod compiles each). */
export function stepSchemaFor(key: string): z.ZodObject {
  let s = stepSchemas.get(key);
  if (!s) {
    const k = KIND_BY_KEY.get(key)!;
    const shape = key === 'env' ? (({ env: _e, ...rest }) => rest)(commonStepShape) : commonStepShape;
    stepSchemas.set(key, (s = z.strictObject({ ...shape, [key]: k.schema })));
  }
  return s;
}

/** The zod schema of one verify item of form `f`: its keys plus the common ones. Built once per form. */
export function verifySchemaFor(f: VerifyForm<unknown>): z.ZodObject {
  let s = verifySchemas.get(f.kind);
  if (!s) verifySchemas.set(f.kind, (s = z.strictObject({ ...verifyCommonShape, ...f.shape })));
  return s;
}

const isMapValue = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** Parse options: our wording, and the input on each issue so messages can say what was written. */
const parseOpts = { error: errorMap, reportInput: true } as const;

/** Loads one recipe file: YAML, schema, per-step kinds, `when`, templates. Every problem, located. */
export async function loadRecipeFile(
  file: string,
  origin: Origin = 'user',
): Promise<{ recipe?: Recipe; problems: Problem[] }> {
  let bytes: Buffer;
  try {
    // Synchronous: many small files read faster this way than through the thread pool.
    bytes = readUserFileSync(file, SOURCE_LIMITS);
  } catch (e) {
    if (e instanceof UnreadableFile) return { problems: [unreadableProblem(e)] };
    throw e;
  }
  return parseRecipe(file, bytes, origin);
}

/** Validates recipe bytes (see loadRecipeFile). */
export function parseRecipe(
  file: string,
  bytes: Buffer,
  origin: Origin = 'user',
): { recipe?: Recipe; problems: Problem[] } {
  const parsed = parseYamlSource(file, bytes);
  if (!parsed.source || parsed.problems.length) return { problems: parsed.problems };
  const source = parsed.source;
  const data = parsed.data;
  const problems: Problem[] = [];
  if (!isMapValue(data)) {
    const what = Array.isArray(data) ? 'a list' : `a ${typeof data}`;
    return {
      problems: [
        {
          severity: 'error',
          loc: source.locOf([]),
          message: `a recipe is a map with name and steps, this file holds ${what}`,
        },
      ],
    };
  }
  const top = topSchema.safeParse(data, parseOpts);
  // `steps:` written as a map gets its own message below, not a type error as well.
  if (!top.success)
    problems.push(
      ...zodProblems(
        {
          issues: top.error.issues.filter(
            (i) => !(isMapValue(data.steps) && i.path.length === 1 && i.path[0] === 'steps'),
          ),
        },
        source,
        [],
      ),
    );
  if (typeof data.name === 'string') {
    const base = path.basename(file).replace(/\.ya?ml$/, '');
    if (data.name !== base)
      problems.push({
        severity: 'error',
        loc: source.locOf(['name']),
        message: `recipe name "${data.name}" differs from its file name "${base}"`,
        hint: `rename one of them`,
      });
  }
  const steps = Array.isArray(data.steps) ? data.steps.map((s, i) => validateStep(s, i, source, problems)) : [];
  if (isMapValue(data.steps)) {
    problems.push({
      severity: 'error',
      loc: source.locOf(['steps']),
      message: 'steps must be a list, got a map',
      hint: 'start each step with "- ", e.g. "- name: …" then "run: …" under it',
    });
  }
  const verify = Array.isArray(data.verify) ? data.verify.map((v, i) => validateVerify(v, i, source, problems)) : [];
  const { vars, varTypes } = splitVars(data.vars, source, problems);
  checkTemplates(data, vars, source, problems);
  checkShellCommands(data, varTypes, source, problems);
  // Compiler order: top to bottom, whatever check found each problem.
  if (problems.length)
    return {
      problems: problems.sort(
        (a, b) => (a.loc?.line ?? 0) - (b.loc?.line ?? 0) || (a.loc?.col ?? 0) - (b.loc?.col ?? 0),
      ),
    };
  return {
    recipe: {
      name: data.name as string,
      format: (data.format as number | undefined) ?? 1,
      description: (data.description as string | undefined) ?? '',
      requires: (data.requires as string[] | undefined) ?? [],
      vars,
      varTypes,
      steps: steps.filter((s): s is RawStep => !!s),
      verify: verify.filter((v): v is RawVerify => !!v),
      file,
      origin,
      source,
      overrides: [],
    },
    problems,
  };
}

function validateStep(step: unknown, index: number, source: SourceDoc, problems: Problem[]): RawStep | undefined {
  const at: YamlPath = ['steps', index];
  if (!isMapValue(step)) {
    problems.push({
      severity: 'error',
      loc: source.locOf(at),
      message: `step ${index + 1} must be a map with one kind key (run, file, env, …), got ${describeInput(step)}`,
      hint: typeof step === 'string' ? `to run it as a command, write "- run: ${step.split('\n')[0]}"` : undefined,
    });
    return undefined;
  }
  const keys = Object.keys(step);
  let kinds = keys.filter((k) => KIND_BY_KEY.has(k));
  if (kinds.length > 1 && kinds.includes('env')) kinds = kinds.filter((k) => k !== 'env'); // `env:` beside a kind sets the command environment
  if (kinds.length === 0) {
    const unknown = keys.filter((k) => !COMMON_STEP_KEYS.includes(k));
    const allKinds = [...KIND_BY_NAME.keys()];
    if (unknown.length) {
      for (const k of unknown) {
        // An alias is a fine guess too, named by its kind: `apt-get` → "packages".
        problems.push({
          severity: 'error',
          loc: source.locOf([...at, k], true),
          message: `unknown step kind "${k}"${didYouMean(k, KIND_BY_KEY.keys(), (c) => KIND_BY_KEY.get(c)!.kind)}`,
          hint: closest(k, KIND_BY_KEY.keys()) ? undefined : `kinds: ${allKinds.join(', ')}`,
        });
      }
    } else {
      problems.push({
        severity: 'error',
        loc: source.locOf(at),
        message: `step ${index + 1} has no kind`,
        hint: `give it one of: ${allKinds.join(', ')}`,
      });
    }
    return undefined;
  }
  if (kinds.length > 1) {
    problems.push({
      severity: 'error',
      loc: source.locOf([...at, kinds[1]!], true),
      message: `a step has exactly one kind; this one has ${kinds.join(' and ')}`,
      hint: 'split it into two steps',
    });
    return undefined;
  }
  // The key as written (`apt`, an alias) locates problems; the kind it names (`packages`) is what loads.
  const key = kinds[0]!;
  const impl = KIND_BY_KEY.get(key)!;
  const kind = impl.kind;
  const r = stepSchemaFor(key).safeParse(step, parseOpts);
  if (!r.success) {
    problems.push(...zodProblems(r.error, source, at));
    return undefined;
  }
  const when = step.when as Record<string, WhenMatcher> | undefined;
  if (when) {
    for (const p of validateWhen(when)) {
      const wpath = p.index === undefined ? [...at, 'when', p.fact] : [...at, 'when', p.fact, p.index];
      problems.push({
        severity: 'error',
        loc: source.locOf(wpath, p.message.startsWith('unknown fact')),
        message: p.message,
        hint: p.hint,
      });
    }
  }
  const { [key]: spec, ...common } = r.data as Record<string, unknown>;
  if (isMapValue(spec) && typeof spec.mode === 'number') {
    // A mode is octal digits as written: YAML reads `0o644` as 420 and `0x1a4` as 420 too, which would
    // then read back as 0420. Only plain digits may stay unquoted (`644`, `0644` keep their digits).
    const written = source.textOf([...at, key, 'mode']) ?? String(spec.mode);
    if (!/^[0-7]{3,4}$/.test(written)) {
      problems.push({
        severity: 'error',
        loc: source.locOf([...at, key, 'mode']),
        message: `mode: ${written} is not written as octal digits; YAML would read it as the number ${spec.mode}`,
        hint: 'write the mode as a quoted string, e.g. "0644"',
      });
      return undefined;
    }
    spec.mode = written;
  }
  if (common.when) common.when = literalNumbers(common.when as Record<string, WhenMatcher>, source, [...at, 'when']);
  // A kind's warnings are for `setup validate` (catalog/lint.ts); its errors keep the recipe from loading.
  const lint: KindLint[] = [
    ...impl
      .lint(spec)
      .filter((l) => l.severity !== 'warning')
      .map((l) => ({ ...l, path: [key, ...l.path] })),
    ...rootEnvLint(common, impl.defaultRoot),
  ];
  for (const l of lint) {
    const p = [...at, ...l.path];
    problems.push({
      severity: 'error',
      loc: l.needle ? source.locIn(p, l.needle, l.nth) : source.locOf(p),
      message: l.message,
      hint: l.hint,
    });
  }
  if (lint.length) return undefined;
  return {
    index,
    kind,
    impl,
    ...(key === kind ? {} : { alias: key }),
    spec,
    common: common as RawStep['common'],
    path: at,
    loc: source.locOf(at),
  };
}

function validateVerify(item: unknown, index: number, source: SourceDoc, problems: Problem[]): RawVerify | undefined {
  const at: YamlPath = ['verify', index];
  if (!isMapValue(item)) {
    problems.push({
      severity: 'error',
      loc: source.locOf(at),
      message: `verify item ${index + 1} must be a map with one of: ${VERIFY_KINDS.join(', ')}`,
    });
    return undefined;
  }
  // In the order written, so the second kind is the one pointed at.
  const kinds = Object.keys(item).filter((k) => VERIFY_KINDS.includes(k));
  if (kinds.length > 1) {
    problems.push({
      severity: 'error',
      loc: source.locOf([...at, kinds[1]!], true),
      message: `a verify item checks one thing; this one has ${kinds.join(' and ')}`,
      hint: 'split it into two items',
    });
    return undefined;
  }
  if (kinds.length === 0) {
    const unknown = Object.keys(item).filter(
      (k) => !(k in verifyCommonShape) && !VERIFY_FORMS.some((f) => k in f.shape),
    );
    for (const k of unknown) {
      problems.push({
        severity: 'error',
        loc: source.locOf([...at, k], true),
        message: `unknown verify kind "${k}"${didYouMean(k, VERIFY_KINDS)}`,
        hint: closest(k, VERIFY_KINDS) ? undefined : `kinds: ${VERIFY_KINDS.join(', ')}`,
      });
    }
    if (!unknown.length)
      problems.push({
        severity: 'error',
        loc: source.locOf(at),
        message: `verify item ${index + 1} has no kind`,
        hint: `give it one of: ${VERIFY_KINDS.join(', ')}`,
      });
    return undefined;
  }
  const impl = VERIFY_FORM_BY_NAME.get(kinds[0]!)!;
  const r = verifySchemaFor(impl).safeParse(item, parseOpts);
  if (!r.success) {
    problems.push(...zodProblems(r.error, source, at));
    return undefined;
  }
  return { index, kind: kinds[0]!, impl, item: r.data as Record<string, unknown>, path: at, loc: source.locOf(at) };
}

/**
 * `vars:` as defaults plus declared types: `n: 4` is a default, `n: { default: 4, type: int }` a typed one,
 * whose default (when it holds no template; those are checked once rendered) must be of its type.
 */
function splitVars(
  raw: unknown,
  source: SourceDoc,
  problems: Problem[],
): { vars: Record<string, string | number | boolean>; varTypes: Record<string, VarType> } {
  const vars = nullProto<Record<string, string | number | boolean>>({});
  const varTypes = nullProto<Record<string, VarType>>({});
  if (!isMapValue(raw)) return { vars, varTypes };
  for (const [name, v] of Object.entries(raw)) {
    if (!isMapValue(v)) {
      vars[name] = v as string | number | boolean;
      continue;
    }
    const t: VarType = {
      type: v.type as VarType['type'],
      ...(Array.isArray(v.values) ? { values: v.values.map(String) } : {}),
    };
    vars[name] = v.default as string | number | boolean;
    varTypes[name] = t;
    const text = String(v.default);
    const why = text.includes('{{') || (t.type === 'enum') !== !!t.values ? undefined : varTypeProblem(t, text);
    if (why)
      problems.push({
        severity: 'error',
        loc: source.locOf(['vars', name, 'default']),
        message: `the default of ${name}, declared ${varTypeText(t)}: ${why}`,
        hint: `give it a default of its type`,
      });
  }
  return { vars, varTypes };
}

/** May a template stand in an arithmetic context: an int variable, or a numeric fact (`host.cpus`). */
function isIntName(name: string, varTypes: Record<string, VarType>): boolean {
  if (Object.hasOwn(varTypes, name)) return varTypes[name]!.type === 'int';
  return name.startsWith('host.') && FACT_BY_ID.get(name.slice(5))?.type === 'number';
}

/** May a template stand in text another program runs as code: a shell-inert type, or a numeric fact. */
function isInertName(name: string, varTypes: Record<string, VarType>): boolean {
  if (Object.hasOwn(varTypes, name)) return isInertType(varTypes[name]!);
  return isIntName(name, varTypes);
}

/**
 * Templates in every command of the recipe (a `run:`, `check:`, `unless:`, a verify `command:`) must stand
 * where a value stays data: in a shell string, see ShellContext in template.ts; in an argv list, never in the
 * script another program runs (`[sh, -c, "… {{ v }}"]`). A secret is never in an argv list: `ps` shows it.
 */
function checkShellCommands(
  data: Record<string, unknown>,
  varTypes: Record<string, VarType>,
  source: SourceDoc,
  problems: Problem[],
): void {
  const check = (cmd: unknown, at: YamlPath): void => {
    if (Array.isArray(cmd)) return checkArgv(cmd, at);
    if (typeof cmd !== 'string' || !cmd.includes('{{')) return;
    for (const p of shellTemplateProblems(
      cmd,
      (n) => isIntName(n, varTypes),
      (n) => isInertName(n, varTypes),
    )) {
      const nth = cmd.slice(0, p.offset).split(p.needle).length - 1;
      problems.push({ severity: 'error', loc: source.locIn(at, p.needle, nth), message: p.message, hint: p.hint });
    }
  };
  const checkArgv = (argv: unknown[], at: YamlPath): void => {
    const program = typeof argv[0] === 'string' ? argv[0].replace(/^.*\//, '') : '';
    argv.forEach((a, i) => {
      if (typeof a !== 'string' || !a.includes('{{')) return;
      for (const r of scanTemplate(a).refs) {
        const loc = source.locIn([...at, i], a.slice(r.start, r.end));
        if (r.name.startsWith('secrets.')) {
          problems.push({
            severity: 'error',
            loc,
            message: `a secret in an argv list: every user can read a process's arguments (ps)`,
            hint: 'use a shell string, where values reach the command as environment variables, or pass it through env:',
          });
        } else if (
          !isInertName(r.name, varTypes) &&
          i > 0 &&
          (CODE_PROGRAM.test(program) || (INTERPRETER.test(program) && CODE_SCRIPT_FLAG.test(String(argv[i - 1]))))
        ) {
          problems.push({
            severity: 'error',
            loc,
            message: `a template in the script ${program} runs (${String(argv[i - 1])} …): "${r.name}" would be read as code`,
            hint: `pass it as a separate argument the script reads ([sh, -c, 'echo "$1"', sh, "{{ ${r.name} }}"]), or declare it a shell-inert type (int, bool, version, path, enum)`,
          });
        }
      }
    });
  };
  if (Array.isArray(data.steps)) {
    data.steps.forEach((step, i) => {
      if (!isMapValue(step)) return;
      for (const k of ['run', 'check', 'unless']) check(step[k], ['steps', i, k]);
    });
  }
  if (Array.isArray(data.verify))
    data.verify.forEach((item, i) => isMapValue(item) && check(item.command, ['verify', i, 'command']));
}

/** Every `{{ … }}` must be well-formed and name a variable of this recipe or a built-in. Var cycles too. */
function checkTemplates(
  data: Record<string, unknown>,
  vars: Record<string, unknown>,
  source: SourceDoc,
  problems: Problem[],
): void {
  const known = (n: string): boolean => Object.hasOwn(vars, n) || isBuiltin(n);
  const candidates = [...Object.keys(vars), ...BUILTIN_NAMES];
  for (const section of ['vars', 'steps', 'verify'] as const) {
    walkStrings(
      data[section],
      (value, p) => {
        if (!value.includes('{{')) return;
        const { refs, errors } = scanTemplate(value);
        for (const e of errors)
          problems.push({
            severity: 'error',
            loc: source.locIn(p, value.slice(e.offset, e.offset + 20).split('\n')[0]!),
            message: e.message,
            hint: e.hint,
          });
        for (const r of refs) {
          if (known(r.name)) continue;
          const guess = didYouMean(r.name, candidates);
          problems.push({
            severity: 'error',
            loc: source.locIn(p, value.slice(r.start, r.end)),
            message: `unknown variable "${r.name}"${guess}`,
            hint: guess
              ? undefined
              : r.name.includes('.')
                ? 'built-ins: prefix, dirs.*, host.*, mirror.*'
                : 'declare it under vars:',
          });
        }
      },
      [section],
    );
  }
  // Variables referring to each other must not loop.
  const deps = new Map(
    Object.entries(vars).map(([k, v]) => [
      k,
      typeof v === 'string'
        ? scanTemplate(v)
            .refs.map((r) => r.name)
            .filter((n) => Object.hasOwn(vars, n))
        : [],
    ]),
  );
  const state = new Map<string, 1 | 2>();
  const visit = (v: string, trail: string[]): void => {
    if (state.get(v) === 2) return;
    if (state.get(v) === 1) {
      const cycle = [...trail.slice(trail.indexOf(v)), v];
      problems.push({
        severity: 'error',
        loc: source.locOf(['vars', v]),
        message: `variables refer to each other in a loop: ${cycle.join(' → ')}`,
      });
      return;
    }
    state.set(v, 1);
    for (const d of deps.get(v) ?? []) visit(d, [...trail, v]);
    state.set(v, 2);
  };
  for (const v of deps.keys()) visit(v, []);
}

/**
 * `when: { python: 3.10 }` is the number 3.1 to YAML; people mean the version "3.10". Numbers under
 * `when:` are read back as the text written in the file.
 */
function literalNumbers(
  when: Record<string, WhenMatcher>,
  source: SourceDoc,
  at: YamlPath,
): Record<string, WhenMatcher> {
  const text = (path: YamlPath, v: unknown): unknown => {
    if (typeof v !== 'number') return v;
    const node = source.nodeAt(path) as { range?: [number, number, number] } | null;
    return node?.range ? source.text.slice(node.range[0], node.range[1]).trim() : String(v);
  };
  return Object.fromEntries(
    Object.entries(when).map(([fact, m]) => [
      fact,
      Array.isArray(m) ? m.map((v, i) => text([...at, fact, i], v)) : text([...at, fact], m),
    ]),
  ) as Record<string, WhenMatcher>;
}

/** A root step's env names that cannot reach root's command (see rootEnvProblem). */
function rootEnvLint(
  common: Record<string, unknown>,
  defaultRoot: boolean,
): { path: (string | number)[]; message: string; hint: string; needle: string; nth: number }[] {
  if (!(common.root ?? defaultRoot) || !common.env || typeof common.env !== 'object') return [];
  return Object.keys(common.env).flatMap((name) => {
    const why = rootEnvProblem(name);
    return why
      ? [
          {
            path: ['env'],
            needle: `${name}:`,
            nth: 0,
            message: why,
            hint: 'use another name, or set it inside the command',
          },
        ]
      : [];
  });
}
