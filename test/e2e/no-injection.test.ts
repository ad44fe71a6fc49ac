import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../../src/util/errors.js';
import { parseRecipe } from '../../src/catalog/load.js';
import { resolveRecipe, type ResolveContext } from '../../src/catalog/resolve.js';
import type { Recipe } from '../../src/catalog/types.js';
import { commandArgv, commandEnv } from '../../src/steps/command.js';
import { cmakeKind } from '../../src/steps/cmake.js';
import { makeKind } from '../../src/steps/make.js';
import type { ApplyEnv, Command, ResolvedStep } from '../../src/steps/types.js';
import { which } from '../../src/util/which.js';
import { runCli, tempHome, writeRecipes } from './helpers.js';

/**
 * Issue 5, "no injection": template values are data. Random strings rich in shell, make, CMake and git
 * syntax go in as `--set` values (the overrides resolveRecipe reads) and must come out of the real program
 * — bash, make, cmake — as exactly the string that went in, with no payload ever run: every payload
 * touches one sentinel file, which must never exist. A git ref that git would not take as a ref name is
 * refused at resolve time, so nothing that starts with `-` ever reaches git. Pure layers build the argv
 * (resolveRecipe, commandArgv, the kinds' apply with an injected exec); the argv then runs for real, in
 * batches so that thousands of strings cost seconds. A few end-to-end CLI runs carry the same values.
 */

const root = tempHome('envkit-inject-');
const SENTINEL = path.join(root, 'PWNED');
/** An empty folder commands run in: a payload writing a relative file would show up here. */
const SCRATCH = path.join(root, 'scratch');
fs.mkdirSync(SCRATCH);

const PAYLOADS = [
  `$(touch ${SENTINEL})`,
  `\`touch ${SENTINEL}\``,
  `; touch ${SENTINEL}`,
  `&& touch ${SENTINEL} #`,
  `| touch ${SENTINEL}`,
  `\ntouch ${SENTINEL}\n`,
  `' ; touch ${SENTINEL} ; '`,
  `" ; touch ${SENTINEL} ; "`,
  `> ${SENTINEL}`,
  `$(shell touch ${SENTINEL})`,
  `$$(shell touch ${SENTINEL})`,
  `\${shell touch ${SENTINEL}}`,
  `$(file >${SENTINEL},x)`,
  `$(eval $$(shell touch ${SENTINEL}))`,
  `--upload-pack=touch ${SENTINEL}`,
  `-oProxyCommand=touch ${SENTINEL}`,
  `--eval=$(shell touch ${SENTINEL})`,
  `")\nfile(WRITE ${SENTINEL} x)\n#`,
  `\${CMAKE_COMMAND} -E touch ${SENTINEL}`,
  `<(touch ${SENTINEL})`,
];
const TOKENS = [
  ...PAYLOADS,
  '$',
  '$$',
  '$HOME',
  '${HOME}',
  '$((1+1))',
  '$ENV{HOME}',
  '@HOME@',
  '`',
  '"',
  "'",
  "'\\''",
  '\\',
  '\\\n',
  '\n',
  '\r',
  '\t',
  ' ',
  '  ',
  ';',
  '&',
  '|',
  '>',
  '<',
  '(',
  ')',
  '{',
  '}',
  '[',
  ']',
  '*',
  '?',
  '!',
  '!!',
  '#',
  '%',
  '^',
  '=',
  ':',
  ',',
  '.',
  '..',
  '/',
  '-',
  '--',
  '-n',
  '-e',
  '~',
  '~root',
  '~/',
  '{a,b}',
  '%s',
  '\\n',
  '{{',
  '}}',
  '{{ v }}',
  'a',
  'Z',
  '0',
  '9',
  'v1.0',
  'main',
  '.lock',
  '@{',
  '@',
  '\x01',
  '\x1b[31m',
  '\x7f',
  'é',
  'ß',
  '中文',
  '🙂',
  '👍🏽',
  '\u00a0',
  '\u200b',
  'Ω',
  '\u2028',
];

/** Strings built from shell/make/CMake/git syntax, payloads, and random unicode (never NUL: argv cannot carry it). */
const nasty = fc
  .array(
    fc.oneof(
      { weight: 5, arbitrary: fc.constantFrom(...TOKENS) },
      { weight: 2, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 5 }) },
      { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 3 }) },
    ),
    { maxLength: 10 },
  )
  .map((parts) => parts.join('').replace(/\0/g, ''));

const tried: Record<string, number> = {};
const count = (target: string, n: number): void => void (tried[target] = (tried[target] ?? 0) + n);

const HOME = path.join(root, 'home');
fs.mkdirSync(HOME);
const BASE_CTX: Omit<ResolveContext, 'overrides'> = {
  facts: {},
  dirs: {
    home: HOME,
    src: path.join(HOME, 'src'),
    cache: path.join(HOME, 'cache'),
    state: path.join(HOME, 'state'),
    config: path.join(HOME, 'config'),
  },
  prefix: path.join(HOME, '.local'),
  mirror: {},
};

/** A recipe from YAML text (must load without problems). */
function recipeOf(name: string, yaml: string): Recipe {
  const { recipe, problems } = parseRecipe(`/virtual/${name}.yaml`, Buffer.from(yaml));
  expect(problems).toEqual([]);
  return recipe!;
}

/** Resolves with `--set vN=values[N]` (the most hostile way in: set values are literal, unchecked). */
function resolveWith(recipe: Recipe, values: readonly string[], prefix = 'v') {
  const global = new Map(values.map((v, i) => [`${prefix}${i}`, v]));
  return resolveRecipe(recipe, { ...BASE_CTX, overrides: { global, perRecipe: new Map() } });
}

const varsBlock = (n: number, prefix = 'v'): string =>
  `vars:\n${Array.from({ length: n }, (_, i) => `  ${prefix}${i}: x`).join('\n')}\n`;

/** Nothing ran: no sentinel, and nothing appeared where the commands ran. */
function expectNothingRan(): void {
  expect(fs.existsSync(SENTINEL), 'a payload ran: the sentinel exists').toBe(false);
  expect(fs.readdirSync(SCRATCH)).toEqual([]);
}

/** A clean environment for the programs under test (no MAKEFLAGS from an outer make, no locale surprises). */
const ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME, LC_ALL: 'C.UTF-8' };

/**
 * Runs shell commands exactly as commandArgv and commandEnv say (bash -e -o pipefail -c …), many per process: a driver
 * bash gets them as arguments (no quoting involved) and runs each in its own `bash -e -o pipefail -c`,
 * printing a NUL after each. Returns each command's output.
 */
function runShells(cmds: Command[]): string[] {
  const shells = cmds.map((c) => {
    const argv = commandArgv(c);
    expect(argv.slice(0, 5)).toEqual(['bash', '-e', '-o', 'pipefail', '-c']);
    return argv[5]!;
  });
  const driver = 'for c in "$@"; do bash -e -o pipefail -c "$c" || printf "<exit %s>" "$?"; printf "\\0"; done';
  // Each command's values are environment variables named after its templates (distinct across a batch).
  const env = Object.assign({}, ENV, ...cmds.map((c) => commandEnv(c)));
  const out = execFileSync('bash', ['-c', driver, 'driver', ...shells], {
    cwd: SCRATCH,
    env,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const parts = out.split('\0');
  expect(parts.pop()).toBe('');
  return parts;
}

beforeAll(() => {
  for (const tool of ['bash', 'make', 'cmake', 'git']) expect(which(tool), `${tool} is needed`).toBeTruthy();
});

afterAll(() => {
  console.log(
    `no injection: random strings tried per target: ${Object.entries(tried)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}; executed payloads: ${fs.existsSync(SENTINEL) ? 'SOME' : 0}`,
  );
  fs.rmSync(root, { recursive: true, force: true });
});

const BATCH = 100;

describe('run and check: a value reaches the command as one literal argument', () => {
  const recipe = recipeOf(
    'shell',
    `name: shell\ndescription: run and check with values\n${varsBlock(BATCH)}steps:\n` +
      Array.from(
        { length: BATCH },
        (_, i) => `  - run: printf '%s' {{ v${i} }}\n    check: printf '[%s]' {{ v${i} }} -{{ v${i} }}-\n`,
      ).join(''),
  );

  it('`run` (a shell string) prints each value exactly, and runs no payload', () => {
    fc.assert(
      fc.property(fc.array(nasty, { minLength: BATCH, maxLength: BATCH }), (values) => {
        const steps = resolveWith(recipe, values).steps;
        const out = runShells(steps.map((s) => s.config as Command));
        expect(out).toEqual(values);
        expectNothingRan();
        count('run', values.length);
      }),
      { numRuns: 12, seed: 0x5e7 },
    );
  });

  it('`check` (a shell string) gets each value as one argument, twice in one command, and runs no payload', () => {
    fc.assert(
      fc.property(fc.array(nasty, { minLength: BATCH, maxLength: BATCH }), (values) => {
        const steps = resolveWith(recipe, values).steps;
        const out = runShells(steps.map((s) => s.common.check!));
        expect(out).toEqual(values.map((v) => `[${v}][-${v}-]`));
        expectNothingRan();
        count('check', values.length);
      }),
      { numRuns: 12, seed: 0xc4ec },
    );
  });

  it('`check` and `run` as argv lists keep each value one element, never split or expanded', () => {
    const argvRecipe = recipeOf(
      'argv',
      `name: argv\ndescription: argv lists\nvars:\n  v0: x\nsteps:\n  - run: [printf, "%s", "{{ v0 }}"]\n    check: [printf, "<%s>", "a{{ v0 }}b"]\n`,
    );
    let executed = 0;
    fc.assert(
      fc.property(nasty, (v) => {
        const [step] = resolveWith(argvRecipe, [v]).steps;
        expect(commandArgv(step!.config as Command)).toEqual(['printf', '%s', v]);
        expect(commandArgv(step!.common.check!)).toEqual(['printf', '<%s>', `a${v}b`]);
        // Run a sample for real (a process each): the argv runs without any shell.
        if (executed++ % 10 === 0) {
          const r = spawnSync('printf', ['<%s>', `a${v}b`], { cwd: SCRATCH, env: ENV, encoding: 'utf8' });
          expect(r.stdout).toBe(`<a${v}b>`);
        }
        count('argv', 1);
      }),
      { numRuns: 1000, seed: 0xa27 },
    );
    expectNothingRan();
  });
});

/** An ApplyEnv whose exec runs the argv for real (no shell), as the executor would. */
function execEnv(calls: string[][]): ApplyEnv {
  const env = {
    prefix: path.join(HOME, '.local'),
    cpus: 2,
    paths: { home: HOME, state: path.join(HOME, 'state'), backups: path.join(HOME, 'state', 'backups') },
    log: () => undefined,
    progress: () => undefined,
    // No ccache here: the values are what is tested, and the host's ccache (or its absence) must not matter.
    facts: { get: async () => null },
    processEnv: ENV,
    together: [],
    exec: async (cmd: Command, opts?: { cwd?: string }) => {
      const argv = commandArgv(cmd);
      calls.push(argv);
      const r = spawnSync(argv[0]!, argv.slice(1), {
        cwd: opts?.cwd ?? SCRATCH,
        env: ENV,
        encoding: 'utf8',
        maxBuffer: 64 << 20,
      });
      if (r.status !== 0) throw new Error(`${argv[0]} exited ${r.status}: ${r.stderr}`);
      return { exitCode: 0, stdout: r.stdout, stderr: r.stderr };
    },
  };
  return env as unknown as ApplyEnv;
}

/** What make.ts refuses in a template value: what a Makefile's shell line would read as code. */
const SHELL_ACTIVE = /[`$;&|<>()\n\r"'\\]/;

describe('make: a var value reaches make literally, and never a shell line as code', () => {
  const dir = path.join(root, 'make');
  const out = path.join(root, 'make-out');
  beforeAll(() => {
    fs.mkdirSync(dir, { recursive: true });
    // $(file …) writes each value as make sees it, without any shell; `[…]` shows whitespace at the edges.
    // `all` also pastes every value into a shell line, as real Makefiles do (`cp $(X) …`).
    fs.writeFileSync(
      path.join(dir, 'Makefile'),
      '$(foreach i,$(IDS),$(file >$(OUT)/$(i),[$(V$(i))]))\n.PHONY: all\nall: ; @: $(foreach i,$(IDS),$(V$(i)))\n',
    );
  });
  const recipe = recipeOf(
    'mk',
    `name: mk\ndescription: make vars\n${varsBlock(BATCH)}steps:\n  - make:\n      dir: ${JSON.stringify(dir)}\n      targets: [all]\n      vars:\n        IDS: "${Array.from({ length: BATCH }, (_, i) => i).join(' ')}"\n        OUT: ${JSON.stringify(out)}\n` +
      Array.from({ length: BATCH }, (_, i) => `        V${i}: "{{ v${i} }}"\n`).join(''),
  );

  it('each of 1,000+ accepted values comes back from make exactly as it went in, through a shell line too', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          nasty.filter((v) => !SHELL_ACTIVE.test(v)),
          { minLength: BATCH, maxLength: BATCH },
        ),
        async (values) => {
          fs.rmSync(out, { recursive: true, force: true });
          fs.mkdirSync(out);
          const [step] = resolveWith(recipe, values).steps;
          const calls: string[][] = [];
          await makeKind.apply(step as ResolvedStep<never>, execEnv(calls));
          expect(calls).toHaveLength(1);
          const got = values.map((_, i) => fs.readFileSync(path.join(out, String(i)), 'utf8'));
          expect(got).toEqual(values.map((v) => `[${v}]\n`));
          expectNothingRan();
          count('make vars', values.length);
        },
      ),
      { numRuns: 12, seed: 0x3a4e },
    );
  });

  it('a value a shell line would run (every payload among them) is refused at resolve, naming the variable', () => {
    const one = recipeOf(
      'mk1',
      `name: mk1\ndescription: one make var\nvars:\n  v0: x\nsteps:\n  - make: { dir: ${JSON.stringify(dir)}, vars: { V: "pre {{ v0 }}" } }\n`,
    );
    fc.assert(
      fc.property(nasty, (v) => {
        let err: unknown;
        try {
          resolveWith(one, [v]);
        } catch (e) {
          err = e;
        }
        expect(!!err, JSON.stringify(v)).toBe(SHELL_ACTIVE.test(v));
        if (err) {
          expect(err).toBeInstanceOf(InputError);
          expect((err as Error).message).toMatch(/make variable V: a template value holds/);
        }
        count('make vars refused or passed', 1);
      }),
      { numRuns: 1000, seed: 0x3a4f },
    );
    for (const p of PAYLOADS.filter((x) => !x.startsWith('-')))
      expect(() => resolveWith(one, [p]), p).toThrow(InputError);
  });
});

describe('shell contexts: a comment, a heredoc, double quotes, arithmetic — a value never runs', () => {
  const script = [
    '# version {{ v0 }}',
    'cat <<EOF',
    'value {{ v0 }}',
    'EOF',
    'printf "<%s>" "dq {{ v0 }}"',
    'echo $(( {{ n }} + 1 ))',
    '[[ {{ n }} -eq 1 ]] && echo one || echo other',
  ].join('\n');
  const recipe = recipeOf(
    'ctx',
    `name: ctx\ndescription: contexts\nvars:\n  v0: x\n  n: { default: 1, type: int }\nsteps:\n  - run: ${JSON.stringify(script)}\n`,
  );

  it('the value arrives as text wherever it stands, for 500 values', () => {
    fc.assert(
      fc.property(fc.array(nasty, { minLength: BATCH, maxLength: BATCH }), (values) => {
        const cmds = values.map(
          (v) =>
            resolveRecipe(recipe, {
              ...BASE_CTX,
              overrides: {
                global: new Map([
                  ['v0', v],
                  ['n', '41'],
                ]),
                perRecipe: new Map(),
              },
            }).steps[0]!.config as Command,
        );
        // One value per process here: every command uses the same variable names.
        for (let i = 0; i < cmds.length; i += 1) {
          const r = spawnSync('bash', commandArgv(cmds[i]!).slice(1), {
            cwd: SCRATCH,
            env: { ...ENV, ...commandEnv(cmds[i]!) },
            encoding: 'utf8',
          });
          expect(r.stdout, JSON.stringify(values[i])).toBe(`value ${values[i]}\n<dq ${values[i]}>42\nother\n`);
        }
        expectNothingRan();
        count('shell contexts (comment, heredoc, dq, arithmetic)', values.length);
      }),
      { numRuns: 5, seed: 0xc07e },
    );
  });

  it('an untyped value in arithmetic, single quotes or a quoted heredoc is refused when the recipe loads', () => {
    for (const cmd of [
      'echo $(( {{ v0 }} + 1 ))',
      '[[ {{ v0 }} -eq 1 ]]',
      "echo '{{ v0 }}'",
      "cat <<'E'\\n{{ v0 }}\\nE",
      'a[{{ v0 }}]=1',
      'let x={{ v0 }}',
    ]) {
      const { problems } = parseRecipe(
        '/virtual/bad.yaml',
        Buffer.from(`name: bad\ndescription: x\nvars:\n  v0: x\nsteps:\n  - run: "${cmd.replace(/"/g, '\\"')}"\n`),
      );
      expect(problems.map((p) => p.message).join('\n'), cmd).toMatch(/arithmetic context|single quotes|quoted heredoc/);
    }
  });

  it('a typed int refuses a payload from --set before anything runs', () => {
    for (const bad of ['a[$(touch x)]', '1+1', ' 1', '0x10', '']) {
      expect(
        () =>
          resolveRecipe(recipe, { ...BASE_CTX, overrides: { global: new Map([['n', bad]]), perRecipe: new Map() } }),
        bad,
      ).toThrow(/--set n: .* is not an int/);
    }
  });
});

describe('cmake: a define reaches the cache literally (-DNAME=value), or is refused', () => {
  const src = path.join(root, 'cmake-src');
  const build = path.join(root, 'cmake-build');
  const out = path.join(root, 'cmake-out');
  const N = 250;
  beforeAll(() => {
    fs.mkdirSync(src, { recursive: true });
    // file(WRITE) writes each value as cmake holds it; `[…]` shows whitespace at the edges.
    fs.writeFileSync(
      path.join(src, 'CMakeLists.txt'),
      `cmake_minimum_required(VERSION 3.13)\nproject(probe NONE)\nforeach(i RANGE 0 ${N - 1})\n  file(WRITE "\${OUT}/\${i}" "[\${V\${i}}]")\nendforeach()\n`,
    );
  });
  const many = recipeOf(
    'cm',
    `name: cm\ndescription: cmake defines\n${varsBlock(N)}steps:\n  - cmake:\n      source: ${JSON.stringify(src)}\n      build: ${JSON.stringify(build)}\n      defines:\n        OUT: ${JSON.stringify(out)}\n` +
      Array.from({ length: N }, (_, i) => `        V${i}: "{{ v${i} }}"\n`).join(''),
  );
  const one = recipeOf(
    'cm1',
    `name: cm1\ndescription: one define\nvars:\n  v0: x\nsteps:\n  - cmake: { source: /s, build: /b, defines: { V: "{{ v0 }}" } }\n`,
  );
  const accepted = (v: string): boolean => {
    try {
      resolveWith(one, [v]);
      return true;
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      return false;
    }
  };
  /** What cmake holds for each V<i>: after the configure, and again after a re-run that reads only the cache (null: it failed). */
  const readBack = async (configure: () => Promise<unknown> | void): Promise<[string[], string[] | null]> => {
    fs.rmSync(out, { recursive: true, force: true });
    fs.rmSync(build, { recursive: true, force: true });
    fs.mkdirSync(out);
    await configure();
    const read = (): string[] =>
      Array.from({ length: N }, (_, i) => fs.readFileSync(path.join(out, String(i)), 'utf8'));
    const first = read();
    fs.rmSync(out, { recursive: true, force: true });
    fs.mkdirSync(out);
    const again = spawnSync('cmake', ['-S', src, '-B', build], { env: ENV, stdio: 'ignore' });
    return [first, again.status === 0 ? read() : null];
  };

  it('accepted values come back from the configure and from the cache exactly; refused ones are exactly those cmake would change', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(nasty, { minLength: N, maxLength: N }), async (values) => {
        const ok = values.filter(accepted);
        const refused = values.filter((v) => !accepted(v));
        // Accepted: one configure through the cmake step (its own argv), then a re-run from the cache.
        const padded = [...ok, ...Array<string>(N - ok.length).fill('pad')];
        const [step] = resolveWith(many, padded).steps as [ResolvedStep];
        const calls: string[][] = [];
        const [first, again] = await readBack(() => cmakeKind.apply(step as ResolvedStep<never>, execEnv(calls)));
        expect(calls).toHaveLength(1);
        expect(first).toEqual(padded.map((v) => `[${v}]`));
        expect(again).toEqual(first);
        // Refused: passed to cmake by hand, each would indeed have come back changed — by -D at once, or
        // (a newline, a final CR) by the cache, where a re-run of cmake reads it back cut short, or fails.
        if (refused.length) {
          const raw = [...refused, ...Array<string>(N - refused.length).fill('pad')];
          const [r1, r2] = await readBack(
            () =>
              void execFileSync(
                'cmake',
                ['-S', src, '-B', build, `-DOUT=${out}`, ...raw.map((v, i) => `-DV${i}=${v}`)],
                { env: ENV, stdio: 'ignore' },
              ),
          );
          refused.forEach((v, i) => {
            if (r1[i] !== `[${v}]`) return; // changed by -D
            expect(/\n|\r$/.test(v), `refused ${JSON.stringify(v)}, but cmake keeps it`).toBe(true);
            if (r2) expect(r2[i], `refused ${JSON.stringify(v)}, but the cache keeps it`).not.toBe(`[${v}]`);
          });
        }
        expectNothingRan();
        count('cmake defines (accepted, configured)', ok.length);
        count('cmake defines (refused, shown to be changed by cmake)', refused.length);
      }),
      { numRuns: 4, seed: 0xc3a },
    );
  }, 60_000);
});

describe('make targets: a value is a goal, never an option or an assignment', () => {
  const dir = path.join(root, 'make-goals');
  beforeAll(() => {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'Makefile'), '%:\n\t@:\n');
  });
  const one = recipeOf(
    'mkt',
    `name: mkt\ndescription: make target\nvars:\n  v0: x\nsteps:\n  - make: { dir: ${JSON.stringify(dir)}, targets: ["{{ v0 }}"] }\n`,
  );

  it('a target starting with "-" or holding "=" is refused; the rest run as goals and run no payload', async () => {
    const targets = fc.oneof(
      nasty,
      fc.constantFrom(
        `--eval=$(shell touch ${SENTINEL})`,
        `SHELL=touch ${SENTINEL}`,
        '-f/dev/null',
        '-n',
        '--',
        '=',
        '',
      ),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(targets, { minLength: BATCH, maxLength: BATCH }), async (values) => {
        const ok: string[] = [];
        for (const v of values) {
          let step: ResolvedStep | undefined;
          try {
            [step] = resolveWith(one, [v]).steps as [ResolvedStep];
          } catch (e) {
            expect(e).toBeInstanceOf(InputError);
          }
          expect(!!step, `target ${JSON.stringify(v)}`).toBe(v !== '' && !v.startsWith('-') && !v.includes('='));
          if (step) ok.push(v);
        }
        // Every accepted goal in one make run (a match-anything rule that does nothing).
        const calls: string[][] = [];
        const [step] = resolveWith(
          recipeOf(
            'mkg',
            `name: mkg\ndescription: goals\n${varsBlock(ok.length || 1)}steps:\n  - make:\n      dir: ${JSON.stringify(dir)}\n      targets: [${(ok.length ? ok : ['all']).map((_, i) => `"{{ v${i} }}"`).join(', ')}]\n`,
          ),
          ok.length ? ok : ['all'],
        ).steps as [ResolvedStep];
        await makeKind.apply(step as ResolvedStep<never>, execEnv(calls)).catch(() => undefined); // odd goals may fail to build: only running code matters
        expect(calls[0]!.slice(-(ok.length || 1))).toEqual(ok.length ? ok : ['all']);
        expectNothingRan();
        count('make targets', values.length);
      }),
      { numRuns: 10, seed: 0x90a1 },
    );
  });
});

describe('git refs: a ref git would not take as a ref name is refused before anything runs', () => {
  const REF_TOKENS = [
    'v1.0',
    'main',
    'release',
    '/',
    '//',
    '-',
    '--',
    '.',
    '..',
    '.lock',
    '@',
    '@{',
    '{',
    '}',
    '~',
    '^',
    ':',
    '?',
    '*',
    '[',
    '\\',
    ' ',
    '\t',
    '\n',
    '\x01',
    '\x7f',
    'é',
    '中',
    '#',
    '+',
    ',',
    '_',
    'refs/heads/x',
    'HEAD',
    `--upload-pack=touch ${SENTINEL}`,
    '-oProxyCommand=x',
  ];
  const refish = fc.oneof(
    nasty,
    fc
      .array(
        fc.oneof(
          { weight: 4, arbitrary: fc.constantFrom(...REF_TOKENS) },
          { weight: 1, arbitrary: fc.string({ unit: 'grapheme-ascii', maxLength: 3 }) },
        ),
        { minLength: 1, maxLength: 6 },
      )
      .map((a) => a.join('')),
  );
  const one = recipeOf(
    'gref',
    `name: gref\ndescription: a git ref\nvars:\n  v0: x\nsteps:\n  - git: { repo: "https://example.invalid/r.git", ref: "{{ v0 }}", dest: ~/src/r }\n`,
  );

  it('every accepted ref is a valid ref name to git itself (never an option); the rest exit 2 at resolve', () => {
    let accepted = 0;
    fc.assert(
      fc.property(refish, (v) => {
        let ref: string | undefined;
        try {
          ref = (resolveWith(one, [v]).steps[0]!.config as { ref: string }).ref;
        } catch (e) {
          expect(e).toBeInstanceOf(InputError);
          expect((e as InputError).exitCode).toBe(2);
        }
        count('git refs', 1);
        if (ref === undefined) return;
        accepted++;
        expect(ref).toBe(v);
        expect(v.startsWith('-')).toBe(false);
        const r = spawnSync('git', ['check-ref-format', `refs/heads/${v}`], { env: ENV });
        expect(r.status, `accepted ${JSON.stringify(v)}, which git rejects as a ref name`).toBe(0);
      }),
      { numRuns: 1500, seed: 0x9e7 },
    );
    count('git refs (accepted, checked by git check-ref-format)', accepted);
  });
});

describe('paths: a `file` path with odd characters is that one path', () => {
  const one = recipeOf(
    'fpath',
    `name: fpath\ndescription: a file path\nvars:\n  v0: x\nsteps:\n  - file: { path: "~/files/{{ v0 }}", content: "{{ v0 }}" }\n    creates: "~/made/{{ v0 }}"\n`,
  );
  it('no globbing, no splitting, no ~ or $ expansion inside the value', () => {
    fc.assert(
      fc.property(nasty, (v) => {
        const [step] = resolveWith(one, [v]).steps;
        expect((step!.config as { path: string }).path).toBe(path.resolve(path.join(HOME, 'files', v)));
        expect((step!.config as { content: string }).content).toBe(v);
        expect(step!.common.creates).toEqual([path.resolve(path.join(HOME, 'made', v))]);
        count('paths', 1);
      }),
      { numRuns: 1000, seed: 0xf11e },
    );
  });
});

describe('end to end: nasty --set values through the real CLI', () => {
  /** File names the tests can make: one path component, not `.`/`..`, short enough for the file system. */
  const fileName = nasty.filter(
    (v) => v !== '' && v !== '.' && v !== '..' && !v.includes('/') && Buffer.byteLength(v) <= 200,
  );
  const K = 30;

  function recipeText(): string {
    const steps = [
      '  - name: folders\n    run: mkdir -p "$HOME/out" "$HOME/files" "$HOME/made"\n    creates: ["~/out", "~/files", "~/made"]\n',
    ];
    for (let i = 0; i < K; i++) {
      steps.push(
        `  - name: run ${i}\n    run: printf %s {{ v${i} }} > "$HOME/out/${i}"\n    check: cmp -s "$HOME/out/${i}" <(printf %s {{ v${i} }})\n`,
        `  - name: file ${i}\n    file: { path: "~/files/{{ p${i} }}", content: "{{ v${i} }}" }\n`,
        `  - name: creates ${i}\n    run: touch -- ~/made/{{ p${i} }}\n    creates: "~/made/{{ p${i} }}"\n`,
      );
    }
    return `name: inj\ndescription: nasty values everywhere\nvars:\n${Array.from({ length: K }, (_, i) => `  v${i}: x\n  p${i}: x\n`).join('')}steps:\n${steps.join('')}`;
  }

  it('run, check, file paths and creates: values arrive literally, payloads never run, and a re-plan is satisfied', async () => {
    const recipes = writeRecipes(path.join(root, 'cli-recipes'), { 'inj.yaml': recipeText() });
    for (const seed of [0xe2e1, 0xe2e2]) {
      const home = fs.mkdtempSync(path.join(root, 'cli-home-'));
      const [values, names] = fc.sample(
        fc.tuple(
          fc.array(nasty, { minLength: K, maxLength: K }),
          fc.uniqueArray(fileName, {
            minLength: K,
            maxLength: K,
            comparator: (a, b) => a.normalize() === b.normalize(),
          }),
        ),
        { numRuns: 1, seed },
      )[0]!;
      const sets = [
        ...values.flatMap((v, i) => ['--set', `v${i}=${v}`]),
        ...names.flatMap((p, i) => ['--set', `p${i}=${p}`]),
      ];
      const run = await runCli(['--recipes', recipes, 'run', 'inj', ...sets], home);
      expect(run.code, run.stderr).toBe(0);
      values.forEach((v, i) => expect(fs.readFileSync(path.join(home, 'out', String(i)), 'utf8'), `run ${i}`).toBe(v));
      names.forEach((p, i) =>
        expect(fs.readFileSync(path.join(home, 'files', p), 'utf8'), `file ${JSON.stringify(p)}`).toBe(values[i]),
      );
      expect(fs.readdirSync(path.join(home, 'files')).sort()).toEqual([...names].sort());
      expect(fs.readdirSync(path.join(home, 'made')).sort()).toEqual([...names].sort());
      expect(
        fs.readdirSync(home).filter((e) => !['out', 'files', 'made', '.local', '.config', '.cache'].includes(e)),
      ).toEqual([]);
      // Every check gets the value literally (cmp against it), every creates path is the one made.
      const plan = await runCli(['--recipes', recipes, 'plan', 'inj', '--exit-code', ...sets], home);
      expect(plan.code, plan.stdout + plan.stderr).toBe(0);
      expectNothingRan();
      count('CLI --set (run, check, file path, creates)', 2 * K);
    }
  });

  it('a bad git ref, make target or cmake define from --set exits 2 before anything runs, and never reaches git', async () => {
    const fake = path.join(root, 'fakebin');
    const calls = path.join(root, 'git-calls');
    fs.mkdirSync(fake, { recursive: true });
    fs.writeFileSync(
      path.join(fake, 'git'),
      `#!/bin/sh\nprintf '%s\\n' "$*" >> ${JSON.stringify(calls)}\nexec ${JSON.stringify(which('git')!)} "$@"\n`,
      { mode: 0o755 },
    );
    const recipes = writeRecipes(path.join(root, 'cli-bad'), {
      'gref.yaml':
        'name: gref\ndescription: a ref from --set\nvars:\n  ref: main\nsteps:\n  - git: { repo: "https://example.invalid/r.git", ref: "{{ ref }}", dest: ~/src/r }\n',
      'mkt.yaml':
        'name: mkt\ndescription: a target from --set\nvars:\n  tgt: all\nsteps:\n  - make: { dir: ~/src, targets: ["{{ tgt }}"] }\n',
      'cmk.yaml':
        'name: cmk\ndescription: a define from --set\nvars:\n  d: x\nsteps:\n  - cmake: { source: ~/src, build: ~/build, defines: { D: "{{ d }}" } }\n',
    });
    const cases: [string, string][] = [
      ['gref', `ref=--upload-pack=touch ${SENTINEL}`],
      ['gref', `ref=-c core.sshCommand=touch ${SENTINEL}`],
      ['gref', 'ref=v1\x7f'],
      ['gref', 'ref=a.lock'],
      ['mkt', `tgt=--eval=$(shell touch ${SENTINEL})`],
      ['mkt', `tgt=SHELL=touch ${SENTINEL}`],
      ['cmk', "d='quoted'"],
      ['cmk', 'd=trailing '],
    ];
    for (const [recipe, set] of cases) {
      const home = fs.mkdtempSync(path.join(root, 'cli-bad-home-'));
      for (const cmd of ['plan', 'run']) {
        const r = await runCli(['--recipes', recipes, cmd, recipe, '--set', set], home, {
          PATH: `${fake}:${process.env.PATH}`,
        });
        expect(r.code, `${cmd} ${set}: ${r.stderr}`).toBe(2);
        expect(r.stderr).toMatch(/error: step 1 of \w+: (ref|make target|define) /);
        expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
      }
      count('CLI --set refused (exit 2)', 1);
    }
    expect(fs.existsSync(calls) ? fs.readFileSync(calls, 'utf8') : '').not.toMatch(/upload-pack|sshCommand|a\.lock/);
    expectNothingRan();
  });
});
