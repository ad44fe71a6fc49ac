import type { FactValue } from '../facts/registry.js';
import { referencedFacts, type ResolvedRecipe } from '../catalog/resolve.js';
import { commandShell } from '../steps/command.js';
import type { ResolvedStep, ShellStep, StepEnv } from '../steps/types.js';
import type { Problem } from '../util/errors.js';
import { markedSecrets, shWord } from '../util/sh-word.js';
import { PRELUDE } from './sh-prelude.js';

/** The host facts an exported script was written for, and checks before any step (`when:` was decided on them). */
export const SCRIPT_FACTS = ['os', 'distro', 'distro_version', 'arch'] as const;

/** How each fact is read where the script runs (no Node there): bash that prints the value the fact store gives. */
const FACT_SHELL: Record<(typeof SCRIPT_FACTS)[number], string> = {
  os: `uname -s | tr '[:upper:]' '[:lower:]'`,
  // Inside $(…), already a subshell: no parentheses (`$((` would be arithmetic).
  distro: `. /etc/os-release 2>/dev/null && echo "\${ID:-}"`,
  distro_version: `. /etc/os-release 2>/dev/null && echo "\${VERSION_ID:-}"`,
  arch: 'uname -m',
};

/** How every exported script's second line starts: a file that does not is never written over. */
export const SH_EXPORT_MARK = '# Written by `setup export sh`';

/** Whether a file's text is a script `setup export sh` wrote (its second line, after the #! line). */
export const isShExport = (text: string): boolean => text.split('\n', 2)[1]?.startsWith(SH_EXPORT_MARK) ?? false;

/** What `exportSh` was asked to write. */
export interface ShInput {
  /** The recipes as named on the command line, and what they pull in, resolved with secret markers. */
  names: string[];
  recipes: ResolvedRecipe[];
  env: StepEnv;
  facts: Readonly<Record<string, FactValue>>;
  /** The mirror profile's name (or file), for the header. */
  mirror?: string;
}

/** An exported script and what it says about itself (the command prints the limits and `--json` all of it). */
export interface ShScript {
  text: string;
  steps: { id: string; name: string; kind: string; check: boolean }[];
  skipped: { id: string; name: string; why: string }[];
  /** What the script does differently from setup, each with the steps it concerns. */
  limits: { text: string; steps: string[] }[];
  /** Environment variables the script reads the recipes' secrets from. */
  secrets: string[];
  facts: Record<string, string>;
  /** Steps that cannot be exported (exit 2, nothing written). */
  problems: Problem[];
}

/** A limit as the header and the command's output list it: `  - text (the steps it concerns)`. */
export const limitLine = (l: { text: string; steps: string[] }): string =>
  `  - ${l.text}${l.steps.length ? ` (${l.steps.join(', ')})` : ''}`;

/** A header line: `# ` and the text, kept on one line. */
const comment = (s: string): string => `# ${s.replace(/[\r\n]+/g, ' ')}`;

/**
 * The common keys around a kind's shell: `unless` first (exit 0: not needed), then the kind's own check,
 * `creates` and `check` — all given must hold, as plan/check.ts judges. Empty: the step has no check.
 */
function checkBody(step: ResolvedStep, kind: ShellStep | undefined, q: (s: string) => string, home: string): string {
  const c = step.common;
  const parts: string[] = [];
  const env = Object.entries(c.env).map(([k, v]) => `export ${k}=${q(v)}`);
  if (kind?.check) parts.push(`if ! ( ${kind.check}\n); then exit 1; fi`);
  for (const p of c.creates) parts.push(`[ -e ${q(p)} ] || [ -L ${q(p)} ] || exit 1`);
  if (c.check) {
    const cwd = q(c.cwd ?? home);
    parts.push(`[ -d ${cwd} ] || exit 1`, `( cd ${cwd} && ${commandShell(c.check, q)} ) || exit 1`);
  }
  const unless = c.unless ? [`if ( cd "$HOME" && ${commandShell(c.unless, q)} ); then exit 0; fi`] : [];
  // `unless` alone: satisfied when it passes, else the step runs (and, having no check, is not checked again).
  if (!parts.length) return unless.length ? [...env, ...unless, 'exit 1'].join('\n') : '';
  return [...env, ...unless, ...parts, 'exit 0'].join('\n');
}

/** Writes the recipes as one bash script; pure (the kinds' shell hooks read nothing from the host). */
export function renderSh(input: ShInput, scriptFacts: Record<string, string>): ShScript {
  const home = input.env.paths.home;
  const secrets = new Set<string>();
  const q = (s: string): string => {
    for (const n of markedSecrets(s)) secrets.add(n);
    return shWord(s, home);
  };
  const shared = new Map<string, string>();
  const out: ShScript = { text: '', steps: [], skipped: [], limits: [], secrets: [], facts: scriptFacts, problems: [] };
  const limits = new Map<string, string[]>();
  const body: string[] = [];
  for (const r of input.recipes) {
    for (const step of r.steps) {
      if (step.whenFailed !== null) {
        out.skipped.push({ id: step.id, name: step.name, why: step.whenFailed });
        continue;
      }
      if (!step.impl.shell) {
        out.problems.push({
          severity: 'error',
          loc: step.loc,
          message: `${step.id} ${step.kind}: the sh export cannot write this kind of step`,
        });
        continue;
      }
      let sh: ShellStep;
      try {
        sh = step.impl.shell(step, { env: input.env, facts: input.facts, q, shared });
      } catch (e) {
        out.problems.push({
          severity: 'error',
          loc: step.loc,
          message: `${step.id} ${step.kind}: cannot be exported to sh: ${e instanceof Error ? e.message : String(e)}`,
          hint: 'leave the step out (when:), or use `setup run` or `setup export ansible` for these recipes',
        });
        continue;
      }
      const kindCheck = step.impl.selfCheck(step.config) ? sh : undefined;
      const check = checkBody(step, kindCheck, q, home);
      const c = step.common;
      const cwd = q(c.cwd ?? home);
      const apply = [...Object.entries(c.env).map(([k, v]) => `export ${k}=${q(v)}`), `cd ${cwd}`, sh.apply].join('\n');
      for (const l of sh.limits ?? []) limits.set(l, [...(limits.get(l) ?? []), step.id]);
      const name = step.name || step.kind;
      // After it runs, a step is checked again when it has a check of its own (plan/check.ts hasCheck): not `unless` alone.
      const recheck = !!kindCheck?.check || c.creates.length > 0 || !!c.check;
      out.steps.push({ id: step.id, name, kind: step.kind, check: check !== '' });
      const timeout = c.timeoutMs ? Math.ceil(c.timeoutMs / 1000) : 0;
      body.push(
        comment(`${step.id} (${step.kind}) ${name}`),
        `_step ${q(step.id)} ${q(name)} ${c.root ? 1 : 0} ${timeout} ${c.retries} ${recheck ? 1 : 0} \\\n  ${shWord(check)} \\\n  ${shWord(apply)}`,
        '',
      );
    }
  }
  const text0 = body.join('\n');
  // Facts the recipes read (in `when:` or templates) that the script does not check where it runs: decided here.
  // A fact only a step kind reads (cmake's and make's `ccache`) decided nothing the script says.
  const recipes = input.recipes.map((r) => r.recipe);
  const read = referencedFacts(recipes, { kinds: false });
  const kindOnly = new Set(recipes.flatMap((r) => r.steps.flatMap((s) => s.impl.facts)).filter((k) => !read.has(k)));
  const unchecked = Object.entries(input.facts).filter(
    ([k, v]) =>
      !kindOnly.has(k) && !(SCRIPT_FACTS as readonly string[]).includes(k) && k !== 'pkg_manager' && v !== undefined,
  );
  if (unchecked.length)
    limits.set(
      `decided with this machine's ${unchecked.map(([k, v]) => `${k}=${String(v)}`).join(', ')} (in \`when:\` or values), which the script does not check where it runs: export on a machine like the target`,
      [],
    );
  out.secrets = [...secrets];
  out.limits = [...limits].map(([text, steps]) => ({ text, steps }));
  const header = [
    '#!/usr/bin/env bash',
    `${SH_EXPORT_MARK} from: ${input.names.join(' ').replace(/[\r\n]+/g, ' ')}`,
    comment(
      `Recipes, in order: ${input.recipes.map((r) => r.recipe.name).join(', ')}. Mirror profile: ${input.mirror ?? 'default'} (applied: the URLs below are already rewritten). Prefix: ${shWord(input.env.prefix, home)} (--prefix; as the exporting user: /usr/local for root, else ~/.local).`,
    ),
    comment(
      'Each step runs only when its check does not hold, and is checked again after; the first failure stops the script with the step’s name. Run it again: satisfied steps do nothing.',
    ),
    comment(
      `Written for: ${Object.entries(scriptFacts)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')} (checked before any step). \`when:\` was decided there.`,
    ),
    ...(out.skipped.length
      ? [
          comment('Steps left out (their `when:` does not hold there):'),
          ...out.skipped.map((s) => comment(`  ${s.id} ${s.name}: ${s.why}`)),
        ]
      : []),
    comment(
      out.secrets.length
        ? `Secrets, read from the environment (never written here): ${out.secrets.join(', ')}. The script stops before any step when one is unset.`
        : 'Secrets: none.',
    ),
    ...(out.limits.length
      ? [comment('Not as setup does it:'), ...out.limits.map((l) => comment(limitLine(l)))]
      : [comment('Not as setup does it: nothing.')]),
    '',
  ];
  const factChecks = Object.entries(scriptFacts).map(
    ([k, v]) =>
      `[ "$(${FACT_SHELL[k as (typeof SCRIPT_FACTS)[number]]})" = ${q(v)} ] || { echo ${q(`setup: this script was written for ${k} ${v}`)}", not $(${FACT_SHELL[k as (typeof SCRIPT_FACTS)[number]]}): export it again on such a machine" >&2; exit 2; }`,
  );
  const secretChecks = out.secrets.map(
    (s) =>
      `: "\${${s}:?setup: set ${s} (a secret the recipes use) in the environment before running this script}"; export ${s}`,
  );
  out.text = [
    ...header,
    PRELUDE,
    `_SECRETS=(${out.secrets.join(' ')})`,
    ...factChecks,
    ...secretChecks,
    '',
    '_steps() {',
    text0,
    '}',
    ...(input.recipes.some((r) => r.steps.some((s) => s.whenFailed === null && s.common.root)) ? ['_root_first'] : []),
    '_steps',
    `printf '%s steps: %s satisfied, %s ran%s\\n' ${out.steps.length} "$_SAT" "$_RAN" "$([ "$_NOCHECK" = 0 ] || echo " ($_NOCHECK without a check, run every time)")"`,
    '',
  ].join('\n');
  return out;
}
