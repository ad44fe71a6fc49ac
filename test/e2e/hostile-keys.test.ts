import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/catalog.js';
import { loadProfileFile, loadUserConfigFile } from '../../src/catalog/profile.js';
import { parseSets } from '../../src/catalog/overrides.js';
import { serve } from '../helpers/archives.js';
import { runCli, tempHome, writeRecipes } from './helpers.js';

/**
 * Issue 12, class 4: no key reaches a prototype. Random key paths holding `__proto__`, `constructor` or
 * `prototype` go in through every door a user has — a recipe (config `set:`, `vars:`, `env:`), a mirror
 * profile (its own folder and `--mirror FILE`), `--set`, config.yaml — and each must be refused by
 * `setup validate` with a located line, refused by `setup run` (exit 2) before anything runs, and leave
 * Object.prototype as it was. Every value is a script that would touch a sentinel file if it ever ran
 * (as BASH_ENV, or as a command), so "nothing ran" is checked, not assumed.
 */

const root = tempHome('envkit-keys-');
const SENTINEL = path.join(root, 'PWNED');
const EVIL = path.join(root, 'evil.sh');
fs.writeFileSync(EVIL, `touch ${SENTINEL}\n`, { mode: 0o755 });
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const POISON = ['__proto__', 'constructor', 'prototype'] as const;
/** A key path with at least one poison segment, among ordinary ones. */
const keyPath = fc
  .tuple(
    fc.array(fc.constantFrom('global', 'BASH_ENV', 'a', 'x-y', ...POISON), { maxLength: 3 }),
    fc.constantFrom(...POISON),
    fc.array(fc.constantFrom('BASH_ENV', 'b', ...POISON), { maxLength: 2 }),
  )
  .map(([a, p, b]) => [...a, p, ...b]);

/** `set:` written flat (`"a.__proto__.b": v`) or nested (`a: { __proto__: { b: v } }`). */
function yamlSet(segs: string[], nested: boolean, value: string): string {
  if (!nested) return `{ ${JSON.stringify(segs.join('.'))}: ${JSON.stringify(value)} }`;
  return segs.reduceRight((inner, k) => `{ ${JSON.stringify(k)}: ${inner} }`, JSON.stringify(value));
}

const firstPoison = (segs: string[]): string => segs.find((s) => (POISON as readonly string[]).includes(s))!;

let n = 0;
/** One recipe (named r<n>) with a poison key in one of the places a recipe has user keys. */
const poisonRecipe = fc
  .tuple(keyPath, fc.boolean(), fc.constantFrom('json', 'yaml', 'ini', 'vars', 'env'))
  .map(([segs, nested, where]) => {
    const name = `r${++n}`;
    const file = { json: '~/out.json', yaml: '~/out.yaml', ini: '~/out.conf' } as Record<string, string>;
    const step =
      where === 'vars' || where === 'env'
        ? `  - run: cat ${EVIL} | bash\n    creates: /nonexistent\n${where === 'env' ? `    env: { ${JSON.stringify(firstPoison(segs))}: x }\n` : ''}`
        : `  - config:\n      path: ${file[where]}\n      set: ${yamlSet(segs, nested, EVIL)}\n`;
    const vars = where === 'vars' ? `vars: { ${JSON.stringify(firstPoison(segs))}: x }\n` : '';
    // A bash step after it: with BASH_ENV on Object.prototype, it would run evil.sh.
    return {
      name,
      text: `name: ${name}\ndescription: poison key ${segs.join('.')}\n${vars}steps:\n${step}  - run: "true"\n    creates: /nonexistent\n`,
    };
  });

const protoNames = (): string[] => Object.getOwnPropertyNames(Object.prototype).sort();

/** Asserts `setup validate` refused every file in `files` (by base name) with a located "reserved" line, exit 2. */
function expectRefused(r: { code: number | null; stdout: string; stderr: string }, files: string[]): void {
  expect(r.code, r.stderr).toBe(2);
  for (const f of files)
    expect(r.stderr, f).toMatch(
      new RegExp(`${f.replace('.', '\\.')}:\\d+:\\d+: error: key ".*" (is|uses "[a-z_]+", which is) reserved`),
    );
  expect(r.stderr).not.toMatch(/internal error|^\s+at /m);
}

describe('no key reaches a prototype, through the real CLI', () => {
  let cases = 0;
  afterAll(() =>
    console.log(`[hostile-keys] ${cases} poisoned inputs refused by validate and run; sentinel never touched`),
  );

  it('recipes: config set (json, yaml, ini), vars, env', { timeout: 120_000 }, async () => {
    const before = protoNames();
    await fc.assert(
      fc.asyncProperty(fc.array(poisonRecipe, { minLength: 8, maxLength: 8 }), async (recipes) => {
        const home = tempHome('envkit-keys-home-');
        const dir = writeRecipes(
          path.join(home, 'recipes'),
          Object.fromEntries(recipes.map((r) => [`${r.name}.yaml`, r.text])),
        );
        expectRefused(
          await runCli(['validate', dir], home),
          recipes.map((r) => `${r.name}.yaml`),
        );
        const run = await runCli(['--recipes', dir, 'run', ...recipes.map((r) => r.name)], home);
        expect(run.code, run.stderr).toBe(2);
        // In-process too: loading them leaves Object.prototype as it was.
        const catalog = await loadCatalog([{ dir, origin: 'flag', explicit: true }]);
        expect(catalog.problems.filter((p) => p.severity === 'error').length).toBeGreaterThanOrEqual(recipes.length);
        expect(protoNames()).toEqual(before);
        expect(fs.existsSync(SENTINEL)).toBe(false);
        expect(
          fs.existsSync(path.join(home, 'out.json')) ||
            fs.existsSync(path.join(home, 'out.yaml')) ||
            fs.existsSync(path.join(home, 'out.conf')),
        ).toBe(false);
        cases += recipes.length;
        fs.rmSync(home, { recursive: true, force: true });
      }),
      { numRuns: 6 },
    );
  });

  it('mirror profiles: in a recipe folder, and as --mirror FILE', { timeout: 120_000 }, async () => {
    const before = protoNames();
    const profile = fc
      .tuple(keyPath, fc.constantFrom('urls.rewrite', 'git.rewrite', 'conda.custom_channels', 'top'))
      .map(([segs, where]) => {
        const key = JSON.stringify(segs.join('.'));
        const body =
          where === 'top'
            ? `${key}: { BASH_ENV: ${EVIL} }\n`
            : `${where.split('.')[0]}:\n  ${where.split('.')[1]}:\n    ${key}: "https://example.org/"\n`;
        return body;
      });
    await fc.assert(
      fc.asyncProperty(fc.array(profile, { minLength: 6, maxLength: 6 }), async (bodies) => {
        const home = tempHome('envkit-keys-home-');
        const files = bodies.map((b, i) => [`profiles/p${i}.yaml`, `name: p${i}\n${b}`] as const);
        const dir = writeRecipes(path.join(home, 'recipes'), Object.fromEntries(files));
        expectRefused(
          await runCli(['validate', dir], home),
          bodies.map((_, i) => `p${i}.yaml`),
        );
        const run = await runCli(['--mirror', path.join(dir, 'profiles', 'p0.yaml'), 'run', 'prefix-env'], home);
        expectRefused(run, ['p0.yaml']);
        for (const [f] of files) expect((await loadProfileFile(path.join(dir, f))).profile).toBeUndefined();
        expect(protoNames()).toEqual(before);
        expect(fs.existsSync(SENTINEL)).toBe(false);
        cases += bodies.length + 1;
        fs.rmSync(home, { recursive: true, force: true });
      }),
      { numRuns: 4 },
    );
  });

  it('--set NAME=VALUE and RECIPE.NAME=VALUE', { timeout: 120_000 }, async () => {
    const home = tempHome('envkit-keys-home-');
    const setKey = fc
      .tuple(fc.option(fc.constantFrom('prefix-env', 'demo'), { nil: undefined }), fc.constantFrom(...POISON))
      .map(([r, k]) => (r ? `${r}.${k}` : k));
    await fc.assert(
      fc.asyncProperty(setKey, fc.constantFrom('validate', 'run prefix-env', 'plan'), async (key, cmd) => {
        const r = await runCli([...cmd.split(' '), '--set', `${key}=${EVIL}`], home);
        expect(r.code, r.stderr).toBe(2);
        expect(r.stderr).toMatch(/^setup: error: --set ".*": key ".*" (is|uses "[a-z_]+", which is) reserved/);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(() => parseSets([`${key}=${EVIL}`])).toThrow(/reserved/);
        expect(fs.existsSync(SENTINEL)).toBe(false);
        cases++;
      }),
      { numRuns: 12 },
    );
  });

  it('config.yaml: vars and any other key', { timeout: 120_000 }, async () => {
    const before = protoNames();
    const entry = fc
      .tuple(fc.constantFrom(...POISON), fc.constantFrom('recipe', 'var', 'top'))
      .map(([k, where]) =>
        where === 'recipe'
          ? `  ${JSON.stringify(k)}: { x: ${EVIL} }\n`
          : where === 'var'
            ? `  prefix-env: { ${JSON.stringify(k)}: ${EVIL} }\n`
            : `top:${k}`,
      );
    await fc.assert(
      fc.asyncProperty(entry, async (e) => {
        const home = tempHome('envkit-keys-home-');
        const file = path.join(home, '.config', 'envkit', 'config.yaml');
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(
          file,
          e.startsWith('top:') ? `${JSON.stringify(e.slice(4))}: { BASH_ENV: ${EVIL} }\n` : `vars:\n${e}`,
        );
        for (const cmd of [['validate'], ['run', 'prefix-env'], ['list']]) {
          const r = await runCli(cmd, home);
          expectRefused(r, ['config.yaml']);
        }
        await expect(loadUserConfigFile(file)).rejects.toThrow(/reserved/);
        expect(protoNames()).toEqual(before);
        expect(fs.existsSync(SENTINEL)).toBe(false);
        cases++;
        fs.rmSync(home, { recursive: true, force: true });
      }),
      { numRuns: 8 },
    );
  });
});

describe('values never change meaning, through the real CLI', () => {
  it(
    'an INI value from --set with a line break is refused before anything is written',
    { timeout: 60_000 },
    async () => {
      const home = tempHome('envkit-ini-');
      const dir = writeRecipes(path.join(home, 'recipes'), {
        'pipconf.yaml':
          'name: pipconf\ndescription: d\nvars:\n  index: https://pypi.org/simple\nsteps:\n  - config:\n      path: ~/pip.conf\n      set:\n        global.index-url: "{{ index }}"\n',
      });
      const value = fc
        .tuple(
          fc.webUrl(),
          fc.constantFrom('\n', '\r', '\r\n'),
          fc.constantFrom('[install]', 'user = true', '[global]\nindex-url = https://evil.example/'),
        )
        .map(([u, nl, tail]) => `${u}${nl}${tail}`);
      await fc.assert(
        fc.asyncProperty(value, async (v) => {
          const r = await runCli(['--recipes', dir, 'run', 'pipconf', '--set', `index=${v}`], home);
          expect(r.code, r.stderr).toBe(2);
          expect(r.stderr).toMatch(
            /pipconf\.yaml:6:5: error: step 1 of pipconf: the value of global\.index-url holds a line break/,
          );
          expect(fs.existsSync(path.join(home, 'pip.conf'))).toBe(false);
        }),
        { numRuns: 6 },
      );
      const ok = await runCli(['--recipes', dir, 'run', 'pipconf'], home);
      expect(ok.code, ok.stderr).toBe(0);
      expect(fs.readFileSync(path.join(home, 'pip.conf'), 'utf8')).toBe(
        '[global]\nindex-url = https://pypi.org/simple\n',
      );
    },
  );

  it(
    'an empty or relative prefix in config.yaml is refused, located, by validate, plan and run',
    { timeout: 60_000 },
    async () => {
      for (const prefix of ['""', '.', 'opt/tools', '"  "']) {
        const home = tempHome('envkit-prefix-');
        const file = path.join(home, '.config', 'envkit', 'config.yaml');
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, `# mine\nprefix: ${prefix}\n`);
        for (const cmd of [['validate'], ['plan', 'prefix-env'], ['run', 'prefix-env']]) {
          const r = await runCli(cmd, home);
          expect(r.code, r.stderr).toBe(2);
          expect(r.stderr).toMatch(
            new RegExp(
              `^${file.replaceAll('.', '\\.')}:2:9: error: prefix ".*": the install prefix is (empty|a relative path)`,
              'm',
            ),
          );
        }
        expect(fs.readdirSync(home)).toEqual(['.config']);
        fs.rmSync(home, { recursive: true, force: true });
      }
    },
  );

  it(
    'a checksum-url file with several lines: the line for the downloaded file is used; none or two digests fail clearly',
    { timeout: 60_000 },
    async () => {
      const { createHash } = await import('node:crypto');
      const body = Buffer.from('release\n'.repeat(50));
      const mine = createHash('sha256').update(body).digest('hex');
      const other = createHash('sha256').update('other').digest('hex');
      const srv = await serve({
        '/tool-1.0.tgz': body,
        '/SHA256SUMS': Buffer.from(`${other}  tool-1.0-arm64.tgz\n${mine}  tool-1.0.tgz\n${other}  tool-1.0.tgz.asc\n`),
        '/BSDSUMS': Buffer.from(`SHA256 (tool-1.0-arm64.tgz) = ${other}\nSHA256 (tool-1.0.tgz) = ${mine}\n`),
        '/NOTMINE': Buffer.from(`${mine}  tool-2.0.tgz\n${other}  tool-1.0-arm64.tgz\n`),
        '/TWICE': Buffer.from(`${mine}  tool-1.0.tgz\n${other}  ./tool-1.0.tgz\n`),
        '/FIRSTWRONG': Buffer.from(`${other}  tool-1.0-arm64.tgz\n${other}  tool-1.0.tgz\n${mine}  tool-1.1.tgz\n`),
      });
      try {
        const home = tempHome('envkit-sums-');
        const step = (sums: string, dest: string): string =>
          `  - download: { url: "${srv.base}/tool-1.0.tgz", checksum-url: "${srv.base}/${sums}", dest: ~/dl/${dest} }\n`;
        const dir = writeRecipes(
          path.join(home, 'recipes'),
          Object.fromEntries(
            ['SHA256SUMS', 'BSDSUMS', 'NOTMINE', 'TWICE', 'FIRSTWRONG'].map((s) => [
              `${s.toLowerCase()}.yaml`,
              `name: ${s.toLowerCase()}\nsteps:\n${step(s, s)}`,
            ]),
          ),
        );
        for (const good of ['sha256sums', 'bsdsums']) {
          const r = await runCli(['--recipes', dir, 'run', good], home);
          expect(r.code, r.stderr).toBe(0);
        }
        const bad: Record<string, RegExp> = {
          notmine: /NOTMINE has 2 digests but none for tool-1\.0\.tgz/,
          twice: /TWICE gives 2 different digests for tool-1\.0\.tgz/,
          firstwrong: /sha256 mismatch/,
        };
        for (const [name, want] of Object.entries(bad)) {
          const r = await runCli(['--recipes', dir, 'run', name], home);
          expect(r.code, r.stderr).toBe(1);
          expect(r.stderr).toMatch(want);
          expect(fs.existsSync(path.join(home, 'dl', name.toUpperCase()))).toBe(false);
        }
      } finally {
        await srv.close();
      }
    },
  );
});
