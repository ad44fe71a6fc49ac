import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, tempHome, writeRecipes } from './helpers.js';

const RECIPES = path.join(ROOT, 'recipes');
const bundled = fs
  .readdirSync(RECIPES)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.replace(/\.yaml$/, ''))
  .sort();

type Kind = 'pip' | 'packages' | 'other';
interface Scanned {
  where: string;
  kind: Kind;
  text: string;
}

/**
 * Every string of a recipe's steps and verify items where a pinned version could be written, with its
 * kind: a pip requirement, a system package name, or anything else (URLs, refs, commands, paths). Not
 * pins, so not scanned: labels, `when:` facts, the range a verify `version:` accepts, test programs and
 * checksums.
 */
function scan(doc: { steps?: unknown[]; verify?: unknown[] }): Scanned[] {
  const out: Scanned[] = [];
  // steps.N.packages… (or its earlier name apt), verify.N.apt: package names; steps.N.pip (a list), steps.N.pip.packages, verify.N.pip: requirements.
  const kindOf = (at: (string | number)[]): Kind =>
    (at[0] === 'steps' && at[2] === 'packages') || at[2] === 'apt'
      ? 'packages'
      : at[2] === 'pip' && (at.length === 3 || typeof at[3] === 'number' || at[3] === 'packages')
        ? 'pip'
        : 'other';
  const walk = (v: unknown, at: (string | number)[]): void => {
    const key = at[at.length - 1];
    if (at.includes('when') || ['name', 'program', 'expect', 'sha256', 'sha512'].includes(String(key))) return;
    if (at[0] === 'verify' && at.length === 3 && key === 'version') return;
    if (typeof v === 'string') out.push({ where: at.join('.'), kind: kindOf(at), text: v });
    else if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...at, i]));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...at, k]);
  };
  (doc.steps ?? []).forEach((s, i) => walk(s, ['steps', i]));
  (doc.verify ?? []).forEach((s, i) => walk(s, ['verify', i]));
  return out;
}

/**
 * The version written into a string, once its templates are removed: after a requirement's operator
 * (`datasets==2.13.0`, `numpy<2`); `@15` or `=1.2` in a package name (Homebrew formula, apt pin; the
 * number in `libglib2.0-0` is the library's name); a dotted number anywhere else (URLs, refs, commands).
 */
function inlinePin({ kind, text }: Scanned): string | undefined {
  const t = text.replace(/\{\{.*?\}\}/g, '').replace(/127\.0\.0\.1/g, '');
  const re =
    kind === 'pip'
      ? /(?:===?|~=|!=|<=?|>=?)\s*v?\d[\w.*]*|\d+\.\d+[\w.]*/
      : kind === 'packages'
        ? /[@=]\s*v?\d[\w.]*/
        : /v?\d+\.\d+[\w.]*/;
  return re.exec(t)?.[0];
}

const pinsOf = (yamlText: string): string[] =>
  scan(parse(yamlText, { merge: true }) as { steps?: unknown[]; verify?: unknown[] }).flatMap((s) => {
    const pin = inlinePin(s);
    return pin ? [`${s.where}: ${JSON.stringify(s.text)} pins ${pin}`] : [];
  });

describe('every pinned version of a bundled recipe is a variable', () => {
  it('the scan finds the inline pins the recipes used to have, and none that are templated or are names', () => {
    const old = `name: old
steps:
  - pip: { venv: "{{ venv }}", packages: [datasets==2.13.0, "numpy<2", accelerate] }
  - pip: ["SQLAlchemy==1.4.23"]
  - download: { url: https://go.dev/dl/go1.21.13.linux-amd64.tar.gz, sha256: 502fc16d5910562461e6a6631fb6377de2322aad7304bf2bcd23500ba9dab4a7, extract: "{{ prefix }}/opt/go" }
  - git: { repo: https://github.com/pytorch/pytorch.git, ref: v2.1.0, dest: "{{ src }}" }
  - apt: [{ apt: postgresql, brew: "postgresql@15" }, libglib2.0-0]
  - run: pip install torch==2.1.0
verify:
  - pip: transformers==4.35.2
  - command: cmake --version
    version: ">=3.24"
  - url: http://127.0.0.1:9200
`;
    expect(pinsOf(old).map((p) => p.replace(/^.*pins /, ''))).toEqual([
      '==2.13.0',
      '<2',
      '==1.4.23',
      '1.21.13.linux',
      'v2.1.0',
      '@15',
      '2.1.0',
      '==4.35.2',
    ]);
    const now = `name: now
steps:
  - pip: { venv: "{{ venv }}", packages: ["datasets=={{ datasets }}", "numpy{{ numpy_spec }}", accelerate] }
  - download: { url: "https://go.dev/dl/go{{ version }}.linux-amd64.tar.gz", sha256: 502fc16d5910562461e6a6631fb6377de2322aad7304bf2bcd23500ba9dab4a7, extract: "{{ prefix }}/opt/go" }
  - git: { repo: https://github.com/pytorch/pytorch.git, ref: "{{ ref }}", dest: "{{ src }}" }
  - packages: [{ apt: postgresql, brew: "postgresql@{{ brew_major }}" }, libglib2.0-0]
verify:
  - pip: "transformers=={{ version }}"
  - url: http://127.0.0.1:9200
`;
    expect(pinsOf(now)).toEqual([]);
  });

  it("the scan reads every recipe's requirements, URLs and package names (not an empty pass)", () => {
    const all = bundled.flatMap((n) =>
      scan(parse(fs.readFileSync(path.join(RECIPES, `${n}.yaml`), 'utf8'), { merge: true })),
    );
    const count = (kind: Kind, re = /./): number => all.filter((s) => s.kind === kind && re.test(s.text)).length;
    expect(count('pip', /=|</)).toBeGreaterThanOrEqual(15); // the templated pins: torch=={{ torch }}, datasets=={{ datasets }}…
    expect(count('pip')).toBeGreaterThanOrEqual(50);
    expect(count('other', /^https:\/\//)).toBeGreaterThanOrEqual(15);
    expect(count('packages', /^lib/)).toBeGreaterThanOrEqual(5);
  });

  it.each(bundled)('%s: no version is written inline', (name) => {
    expect(pinsOf(fs.readFileSync(path.join(RECIPES, `${name}.yaml`), 'utf8'))).toEqual([]);
  });

  it.each(bundled)(
    '%s: --set of each version variable reaches the steps and verify items, and its default is gone',
    async (name) => {
      const home = tempHome();
      const shown = JSON.parse((await runCli(['show', name, '--json'], home)).stdout) as {
        vars: { name: string; value: string; source: string; type?: string }[];
      };
      // Variables that hold a version or a specifier (digits, or *_spec); not paths or templates.
      // A typed int or enum (num_threads, use_openmp) is a setting, not a version.
      const versions = shown.vars.filter(
        (v) =>
          v.source === 'default' &&
          (!v.type || v.type === 'version') &&
          !v.value.includes('/') &&
          (/\d/.test(v.value) || v.name.endsWith('_spec')),
      );
      if (!versions.length) return;
      const sentinel = (i: number, v: { name: string }): string =>
        `${v.name.endsWith('_spec') ? '==' : ''}9${i}7.0.${i}`;
      const args = versions.flatMap((v, i) => ['--set', `${name}.${v.name}=${sentinel(i, v)}`]);
      const res = await runCli(['show', name, '--json', ...args], home);
      expect(res.code, res.stderr).toBe(0);
      const doc = JSON.parse(res.stdout) as { steps: unknown[]; verify: unknown[] };
      const rendered = JSON.stringify({ steps: doc.steps, verify: doc.verify });
      // Package names render for this host's package manager only (not a Homebrew formula on Debian).
      const raw = scan(parse(fs.readFileSync(path.join(RECIPES, `${name}.yaml`), 'utf8'), { merge: true }));
      const onlyInPackageNames = (v: string): boolean =>
        raw.every((s) => s.kind === 'packages' || !s.text.includes(`{{ ${v} }}`)) &&
        raw.some((s) => s.text.includes(`{{ ${v} }}`));
      versions.forEach((v, i) => {
        if (!onlyInPackageNames(v.name)) expect(rendered, `${name}.${v.name} is used`).toContain(sentinel(i, v));
        if (/\d+\.\d+/.test(v.value))
          expect(rendered, `${name}: ${v.value} is still written somewhere`).not.toContain(v.value);
      });
    },
  );

  it("--set modelscope.datasets=… changes the plan's pip command", async () => {
    const home = tempHome();
    const pipCommand = async (...args: string[]): Promise<string> => {
      const res = await runCli(['plan', 'modelscope', '--json', ...args], home);
      expect(res.code, res.stderr).toBe(0);
      const plan = JSON.parse(res.stdout) as {
        recipes: { name: string; steps: { kind: string; action: { commands: string[] } }[] }[];
      };
      return plan.recipes
        .find((r) => r.name === 'modelscope')!
        .steps.find((s) => s.kind === 'pip')!
        .action.commands.join('\n');
    };
    expect(await pipCommand()).toMatch(/ datasets==2\.13\.0 dill==0\.3\.6 /);
    const changed = await pipCommand('--set', 'modelscope.datasets=2.14.0');
    expect(changed).toMatch(/ datasets==2\.14\.0 dill==0\.3\.6 /);
    expect(changed).not.toContain('2.13.0');
  });
});

describe('config.yaml vars:', () => {
  const configFile = (home: string): string => path.join(home, '.config', 'envkit', 'config.yaml');
  const writeConfig = (home: string, text: string): void => {
    fs.mkdirSync(path.dirname(configFile(home)), { recursive: true });
    fs.writeFileSync(configFile(home), text);
  };

  it('plan, show and doctor use them; a --set wins; numbers are read as written', async () => {
    const home = tempHome();
    writeConfig(home, 'vars:\n  modelscope: { datasets: 2.14.0 }\n  paddlespeech:\n    python: 3.10\n    paddle: 2\n');
    const plan = await runCli(['plan', 'modelscope', '--json'], home);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain(' datasets==2.14.0 dill==0.3.6 ');
    expect(plan.stdout).not.toContain('2.13.0');

    const show = JSON.parse((await runCli(['show', 'modelscope', '--json'], home)).stdout);
    expect(show.vars).toContainEqual({ name: 'datasets', value: '2.14.0', source: 'config' });
    expect(show.vars).toContainEqual({ name: 'dill', value: '0.3.6', source: 'default' });
    const text = await runCli(['show', 'modelscope'], home);
    expect(text.stdout).toMatch(/datasets +\S* = 2\.14\.0 {2}\(config\.yaml\)/);
    expect(text.stdout).toMatch(/dill +\S* = 0\.3\.6 {2}\(default\)/);

    const speech = JSON.parse((await runCli(['show', 'paddlespeech', '--json'], home)).stdout);
    expect(speech.vars).toContainEqual({ name: 'python', value: '3.10', source: 'config' });
    expect(speech.vars).toContainEqual({ name: 'paddle', value: '2', source: 'config' });

    const doctor = await runCli(['doctor', 'modelscope', '--offline', '--json'], home);
    expect(doctor.stdout).toContain("datasets 2.14.0, the venv's requirements met (pip check)");
    expect(doctor.stdout).not.toContain('2.13.0');

    const set = await runCli(['show', 'modelscope', '--json', '--set', 'modelscope.datasets=2.15.0'], home);
    expect(JSON.parse(set.stdout).vars).toContainEqual({ name: 'datasets', value: '2.15.0', source: '--set' });
    const global = await runCli(['plan', 'modelscope', '--json', '--set', 'datasets=2.16.0'], home);
    expect(global.stdout).toContain(' datasets==2.16.0 ');
  });

  it('run uses them', async () => {
    const home = tempHome();
    const dir = writeRecipes(path.join(home, 'recipes'), {
      'tool.yaml':
        'name: tool\ndescription: t\nvars: { version: 1.0.0 }\nsteps:\n  - file: { path: ~/tool-version, content: "{{ version }}\\n" }\n',
    });
    writeConfig(home, `recipes: [${dir}]\nvars:\n  tool: { version: 2.0.1 }\n`);
    const run = await runCli(['run', 'tool'], home);
    expect(run.code, run.stderr).toBe(0);
    expect(fs.readFileSync(path.join(home, 'tool-version'), 'utf8')).toBe('2.0.1\n');
    expect((await runCli(['plan', 'tool', '--exit-code'], home)).code).toBe(0);
  });

  it.each([
    [
      'a variable the recipe lacks',
      'vars:\n  modelscope:\n    datsets: 2.14.0\n',
      '3:5: error: vars.modelscope.datsets: recipe "modelscope" has no variable "datsets" (did you mean "datasets"?)',
    ],
    [
      'an unknown recipe',
      '# mine\nvars:\n  openblass: { target_x86_64: HASWELL }\n',
      '3:3: error: vars.openblass: unknown recipe "openblass" (did you mean "openblas"?)',
    ],
  ])('%s is one located error line, exit 2, whatever the command', async (_, text, expected) => {
    const home = tempHome();
    writeConfig(home, text);
    for (const args of [
      ['plan', 'cmake'],
      ['show', 'modelscope'],
      ['doctor', 'python', '--offline'],
      ['run', 'pip-mirror'],
    ]) {
      const res = await runCli(args, home);
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stderr.trimEnd().split('\n'), args.join(' ')).toEqual([`${configFile(home)}:${expected}`]);
    }
    const validate = await runCli(['validate'], home);
    expect(validate.code).toBe(2);
    expect(validate.stderr).toContain(`${configFile(home)}:${expected}`);
  });

  it('a value that is not a string or a number is a located error', async () => {
    const home = tempHome();
    writeConfig(home, 'vars:\n  modelscope: { datasets: [2.14.0] }\n');
    const res = await runCli(['plan', 'modelscope'], home);
    expect(res.code).toBe(2);
    expect(res.stderr.trimEnd().split('\n')).toEqual([
      `${configFile(home)}:2:27: error: datasets: expected a string or a number (quote other values)`,
    ]);
  });
});
