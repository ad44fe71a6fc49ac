import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkStep, checkSteps } from '../../src/plan/check.js';
import type { PlanEnv } from '../../src/plan/inputs.js';
import { parseRecipe } from '../../src/catalog/load.js';
import type { Profile } from '../../src/lang/schema.js';
import { pipKind, type PipConfig } from '../../src/steps/pip.js';
import { installArgv } from '../../src/steps/pip/command.js';
import type { Evaluation, SpecResult } from '../../src/steps/pip/evaluate.js';
import { pipFailureHint, resolutionHint } from '../../src/steps/pip/hints.js';
import { judge } from '../../src/steps/pip/judge.js';
import { parseRequirement } from '../../src/steps/pip/requirement.js';
import type { ResolvedStep, StepEnv } from '../../src/steps/types.js';
import { Memo } from '../../src/util/memo.js';
import type { RunRequest, RunResult, Runner } from '../../src/util/process.js';
import { literalTemplater as t } from '../helpers/templater.js';

const tmp = (): string => fs.mkdtempSync(path.join(os.tmpdir(), 'envkit-pip-'));

let n = 0;
function pipStep(
  spec: Parameters<typeof pipKind.resolve>[0],
  env: Record<string, string> = {},
): ResolvedStep<PipConfig> {
  n++;
  return {
    id: `r#${n}`,
    recipe: 'r',
    index: n - 1,
    name: '',
    kind: 'pip',
    impl: pipKind,
    config: pipKind.resolve(spec, t),
    common: { creates: [], env, retries: 0, root: false },
    whenFailed: null,
    loc: { file: 'r.yaml', line: n, col: 1 },
  };
}

/** A fake venv: a folder with an (unrunnable) bin/python, so the step's target exists. */
function fakeVenv(): string {
  const dir = tmp();
  fs.mkdirSync(path.join(dir, 'bin'));
  fs.writeFileSync(path.join(dir, 'bin', 'python'), '', { mode: 0o755 });
  return dir;
}

const ok = (stdout: string): RunResult => ({
  exitCode: 0,
  signal: null,
  timedOut: false,
  aborted: false,
  stdout,
  stderr: '',
  durationMs: 1,
});

/** Answers the evaluation script like an interpreter with these distributions installed; counts its starts. */
function countingRunner(
  installed: Record<string, string>,
  extra: Partial<Record<string, unknown>> = {},
): Runner & { calls: RunRequest[] } {
  const calls: RunRequest[] = [];
  return {
    calls,
    async run(req) {
      calls.push(req);
      const specs = JSON.parse(req.input ?? '[]') as string[];
      const results = specs.map((spec): SpecResult => {
        const [name, want] = spec.split('==') as [string, string | undefined];
        const have = installed[name];
        if (have === undefined) return { spec, name, want: want ? `==${want}` : '', state: 'missing' };
        return { spec, name, have, want: want ? `==${want}` : '', state: !want || want === have ? 'ok' : 'mismatch' };
      });
      return ok(
        JSON.stringify({
          version: '3.11.7',
          executable: req.argv[0],
          venv: true,
          externally_managed: false,
          writable: true,
          pip: true,
          results,
          ...extra,
        }) + '\n',
      );
    },
  };
}

function stepEnv(
  runner: Runner,
  profile: Profile = { name: 'default' },
  processEnv: NodeJS.ProcessEnv = { PATH: '' },
): PlanEnv {
  const home = tmp();
  return {
    runner,
    profile,
    processEnv,
    memo: new Memo(),
    cpus: 1,
    prefix: path.join(home, '.local'),
    paths: { home } as StepEnv['paths'],
    facts: undefined as unknown as StepEnv['facts'],
  };
}

describe('requirement specs (load-time syntax)', () => {
  it.each([
    'numpy',
    'numpy==1.26.4',
    'torch>=2.1,<2.4',
    'transformers[torch]>=4.30',
    'transformers[torch, sentencepiece] >= 4.30',
    'foo~=1.4.2',
    'foo!=1.5.*',
    'foo==1.0.*',
    'foo==1.0rc1',
    'foo==1.0.post2.dev3+local.1',
    'foo===weird-1',
    'foo (>=1.0)',
    'foo; python_version < "3.10"',
    'foo>=1; sys_platform == "linux"',
    'foo @ https://example.org/foo-1.0-py3-none-any.whl',
    'foo @ file:///tmp/foo',
    'zope.interface>=5',
    'my_pkg',
    'a',
  ])('accepts %s', (spec) => {
    expect(parseRequirement(spec)).not.toBeInstanceOf(Error);
  });
  it.each([
    ['foo==', '"==" needs a version after it, e.g. foo==1.0'],
    ['foo>=1,', '"" is not a version specifier'],
    ['foo=1.0', '(did you mean "==")'],
    ['foo bar', '"bar" is not a version specifier'],
    ['foo~=1', '~= needs at least two parts'],
    ['foo>=1.*', 'a ".*" wildcard works only with == and !='],
    ['foo==1.0-beta-final', 'is not a valid version for =='],
    ['foo[bar', 'no closing "]"'],
    ['foo; ', 'nothing follows ";"'],
    ['-r requirements.txt', 'put them under `args:`'],
    ['./local/pkg', 'name @ file:///path'],
    ['https://x.org/a.whl', 'expected a package name first'],
    ['foo @ not a url', 'expected a URL after "@"'],
    ['', 'it is empty'],
  ])('rejects %j: %s', (spec, why) => {
    const r = parseRequirement(spec);
    expect(r).toBeInstanceOf(Error);
    expect((r as Error).message).toContain(`invalid requirement "${spec}"`);
    expect((r as Error).message).toContain(why);
  });
  it('lint points at the bad item; templated specs wait until rendered', () => {
    expect(pipKind.lint!(['ok', 'foo=='])).toEqual([
      { path: [1], message: expect.stringContaining('"==" needs a version') },
    ]);
    expect(pipKind.lint!({ packages: ['foo=={{ v }}'] })).toEqual([]);
    expect(() => pipKind.resolve({ packages: ['foo=='] }, t)).toThrow(/needs a version/);
    expect(pipKind.lint!({ packages: ['x'], venv: '~/v', python: '/usr/bin/python3' })[0]!.message).toMatch(
      /either venv or python/,
    );
  });
});

describe('issue 6: pip checks for a whole recipe cost one interpreter start', () => {
  it('evaluates every spec of every pip step of a plan in one call per interpreter', async () => {
    const venv = fakeVenv();
    const runner = countingRunner({
      numpy: '1.26.4',
      scipy: '1.13.0',
      pandas: '2.2.2',
      torch: '2.3.1',
      jupyter: '1.0.0',
    });
    const env = stepEnv(runner);
    const steps = [
      pipStep({ venv, packages: ['numpy==1.26.4', 'scipy', 'pandas==2.2.2'] }),
      pipStep({ venv, packages: ['torch==2.3.1', 'jupyter', 'numpy==1.26.4'] }),
      pipStep({ venv, packages: ['numpy==2.0.0', 'sentencepiece', 'pandas'] }),
    ];
    const results = await checkSteps(steps, env, 8);
    expect(runner.calls).toHaveLength(1);
    expect(runner.calls[0]!.argv.slice(0, 3)).toEqual([path.join(venv, 'bin', 'python'), '-B', '-c']);
    expect(JSON.parse(runner.calls[0]!.input!)).toEqual([
      'numpy==1.26.4',
      'scipy',
      'pandas==2.2.2',
      'torch==2.3.1',
      'jupyter',
      'numpy==2.0.0',
      'sentencepiece',
      'pandas',
    ]);
    expect(results.get(steps[0]!.id)).toEqual({
      state: 'satisfied',
      reason: `numpy 1.26.4, scipy 1.13.0, pandas 2.2.2 installed in ${venv}`,
    });
    expect(results.get(steps[1]!.id)!.state).toBe('satisfied');
    expect(results.get(steps[2]!.id)).toEqual({
      state: 'unsatisfied',
      reason: 'numpy 1.26.4 is installed, wants ==2.0.0; sentencepiece is not installed',
    });
  });

  it('one call per target interpreter; a venv that does not exist yet costs none', async () => {
    const [a, b] = [fakeVenv(), fakeVenv()];
    const runner = countingRunner({ numpy: '1.26.4' });
    const env = stepEnv(runner);
    const later = path.join(tmp(), 'made-by-an-earlier-step');
    const steps = [
      pipStep({ venv: a, packages: ['numpy'] }),
      pipStep({ venv: b, packages: ['numpy'] }),
      pipStep({ venv: a, packages: ['scipy'] }),
      pipStep({ venv: later, packages: ['numpy'] }),
    ];
    const results = await checkSteps(steps, env, 8);
    expect(runner.calls.map((c) => c.argv[0]).sort()).toEqual(
      [path.join(a, 'bin', 'python'), path.join(b, 'bin', 'python')].sort(),
    );
    expect(results.get(steps[3]!.id)).toEqual({ state: 'unsatisfied', reason: `${later} does not exist yet` });
  });

  it('check works alone (the memo is cleared after a step runs), and upgrade: true asks nothing', async () => {
    const venv = fakeVenv();
    const runner = countingRunner({ numpy: '1.26.4' });
    const env = stepEnv(runner);
    expect((await checkStep(pipStep({ venv, packages: ['numpy==1.26.4'] }), env)).state).toBe('satisfied');
    expect(runner.calls).toHaveLength(1);
    env.memo.clear();
    expect((await checkStep(pipStep({ venv, packages: ['numpy==1.0'] }), env)).reason).toBe(
      'numpy 1.26.4 is installed, wants ==1.0',
    );
    expect(runner.calls).toHaveLength(2);
    expect(await checkStep(pipStep({ venv, packages: ['numpy'], upgrade: true }), env)).toEqual({
      state: 'unsatisfied',
      reason: 'upgrade: true always runs',
    });
    expect(runner.calls).toHaveLength(2);
  });

  it('a spec the batch did not ask about costs one more call, not a wrong answer', async () => {
    const venv = fakeVenv();
    const runner = countingRunner({ numpy: '1.26.4', scipy: '1.13.0' });
    const env = stepEnv(runner);
    await pipKind.prefetch([pipStep({ venv, packages: ['numpy'] })], env);
    expect((await checkStep(pipStep({ venv, packages: ['numpy', 'scipy==1.13.0'] }), env)).state).toBe('satisfied');
    expect(runner.calls.map((c) => JSON.parse(c.input!))).toEqual([['numpy'], ['scipy==1.13.0']]);
  });

  it('an interpreter that cannot answer makes the check "could not tell"', async () => {
    const venv = fakeVenv();
    const runner: Runner = {
      run: async () => ({ ...ok(''), exitCode: 1, stderr: 'Traceback …\nImportError: broken\n' }),
    };
    const r = await checkStep(pipStep({ venv, packages: ['numpy'] }), stepEnv(runner));
    expect(r.state).toBe('unknown');
    expect(r.reason).toContain('cannot list the installed packages');
    expect(r.reason).toContain('ImportError: broken');
  });
});

describe('reasons', () => {
  const ev = (results: SpecResult[], o: Partial<Evaluation> = {}): Evaluation => ({
    version: '3.11.7',
    executable: '/py',
    venv: false,
    externallyManaged: false,
    writable: true,
    pip: true,
    results: new Map(results.map((r) => [r.spec, r])),
    broken: [],
    ...o,
  });
  it('says what is satisfied, and how extras, markers and direct references were judged', () => {
    const r = judge(
      ['transformers[torch]>=4.30', 'foo; python_version < "3"', 'bar @ https://x/bar.whl'],
      ev([
        {
          spec: 'transformers[torch]>=4.30',
          name: 'transformers',
          want: '>=4.30',
          have: '4.41.2',
          extras: ['torch'],
          state: 'ok',
        },
        { spec: 'foo; python_version < "3"', name: 'foo', want: '', marker: 'python_version < "3"', state: 'skipped' },
        { spec: 'bar @ https://x/bar.whl', name: 'bar', want: '', have: '1.0', url: true, state: 'ok' },
      ]),
      { where: '~/venvs/x', warnExternallyManaged: true },
    );
    expect(r).toEqual({
      state: 'satisfied',
      reason:
        'transformers 4.41.2, bar 1.0 installed in ~/venvs/x; transformers[torch]: checked the base distribution only, not its extras; foo: marker `python_version < "3"` does not apply here (ignored); bar: a direct reference, checked only that it is installed',
    });
  });
  it('names installed against wanted versions, and warns about PEP 668 on an externally managed python', () => {
    const r = judge(
      ['a==2.0', 'b>=1', 'c<1'],
      ev(
        [
          { spec: 'a==2.0', name: 'a', want: '==2.0', have: '1.0', state: 'mismatch' },
          { spec: 'b>=1', name: 'b', want: '>=1', state: 'missing' },
          { spec: 'c<1', name: 'c', want: '<1', have: '2013b', state: 'badversion' },
        ],
        { externallyManaged: true },
      ),
      { where: '/usr/bin/python3', warnExternallyManaged: true },
    );
    expect(r.state).toBe('unsatisfied');
    expect(r.reason).toBe(
      'a 1.0 is installed, wants ==2.0; b is not installed (wants >=1); c 2013b is installed, but "2013b" is not a PEP 440 version, so <1 cannot match it; note: /usr/bin/python3 is externally managed (PEP 668), pip will refuse: use venv:, or args: [--break-system-packages]',
    );
  });
  it('a venv whose installed packages do not fit together (pip check) is not satisfied, whatever the specs say', () => {
    const ok = [
      { spec: 'torchvision==0.16.0', name: 'torchvision', want: '==0.16.0', have: '0.16.0', state: 'ok' as const },
    ];
    const broken = [
      'torchvision 0.16.0 requires torch==2.1.0, but torch 2.13.0 is installed',
      'a 1 requires b, which is not installed',
      'c 1 requires d<2, but d 3 is installed',
      'e 1 requires f, which is not installed',
    ];
    const r = judge(['torchvision==0.16.0'], ev(ok, { venv: true, broken }), {
      where: '~/venvs/ml',
      warnExternallyManaged: true,
    });
    expect(r).toEqual({
      state: 'unsatisfied',
      reason: `~/venvs/ml has broken requirements (pip check): ${broken.slice(0, 3).join('; ')}; and 1 more`,
    });
    expect(
      judge(['torchvision==0.16.0'], ev(ok, { venv: true }), { where: '~/venvs/ml', warnExternallyManaged: true })
        .state,
    ).toBe('satisfied');
  });
  it('says when a system python cannot be written by this user, or has no pip', () => {
    const missing = [{ spec: 'a', name: 'a', want: '', state: 'missing' as const }];
    expect(
      judge(['a'], ev(missing, { writable: false }), { where: '/usr/bin/python3', warnExternallyManaged: true }).reason,
    ).toBe(
      "a is not installed; note: /usr/bin/python3's site-packages is not writable by this user, pip will fall back to a --user install (or use venv:)",
    );
    expect(judge(['a'], ev(missing, { pip: false }), { where: '/py', warnExternallyManaged: true }).reason).toBe(
      'a is not installed; note: /py has no pip',
    );
  });
  it('an invalid spec (as the interpreter reads it) or markers that exclude everything', () => {
    expect(
      judge(['x=='], ev([{ spec: 'x==', state: 'invalid', error: 'Expected end or semicolon\n    x==\n     ^' }]), {
        where: '/py',
        warnExternallyManaged: true,
      }),
    ).toEqual({ state: 'unknown', reason: 'invalid requirement "x==": Expected end or semicolon' });
    expect(
      judge(
        ['x; os_name == "nt"'],
        ev([{ spec: 'x; os_name == "nt"', name: 'x', marker: 'os_name == "nt"', state: 'skipped' }]),
        { where: '/py', warnExternallyManaged: true },
      ).reason,
    ).toMatch(/^no requirement applies to python 3.11.7/);
  });
});

describe('pip install command', () => {
  const profile: Profile = {
    name: 'm',
    pip: {
      'index-url': 'https://mirror.example/simple',
      'extra-index-url': 'https://a.example/simple https://b.example/simple',
      'trusted-host': 'mirror.example',
    },
    urls: { rewrite: { 'https://download.pytorch.org/': 'https://pt.mirror.example/' } },
  };
  it('takes index, extra index and trusted host from the profile unless the step sets them', () => {
    expect(installArgv(pipStep(['numpy>=1.26', 'scipy']).config, '/py', profile)).toEqual([
      '/py',
      '-m',
      'pip',
      'install',
      '--disable-pip-version-check',
      '--no-input',
      '--retries',
      '2',
      '--timeout',
      '15',
      '--index-url',
      'https://mirror.example/simple',
      '--extra-index-url',
      'https://a.example/simple',
      '--extra-index-url',
      'https://b.example/simple',
      '--trusted-host',
      'mirror.example',
      'numpy>=1.26',
      'scipy',
    ]);
    const own = pipStep({
      packages: ['torch==2.3.1'],
      'index-url': 'https://download.pytorch.org/whl/cu121',
      'extra-index-url': [],
      'trusted-host': 'h',
      upgrade: true,
      pre: true,
      'no-deps': true,
      args: ['--no-cache-dir'],
    });
    expect(installArgv(own.config, '/py', profile).slice(10)).toEqual([
      '--index-url',
      'https://pt.mirror.example/whl/cu121',
      '--trusted-host',
      'mirror.example',
      '--trusted-host',
      'h',
      '--upgrade',
      '--pre',
      '--no-deps',
      '--no-cache-dir',
      'torch==2.3.1',
    ]);
    expect(installArgv(pipStep(['x']).config, '/py', { name: 'default' }).slice(10)).toEqual(['x']);
  });
  it("joins the step's extra indexes to the profile's (rewritten), and takes find-links, a constraint, retries and timeout from the profile", () => {
    const step = pipStep({ packages: ['torch==2.3.1'], 'extra-index-url': 'https://download.pytorch.org/whl/cpu' });
    const full: Profile = {
      ...profile,
      pip: {
        ...profile.pip,
        'find-links': '/opt/wheels file:///srv/w',
        constraint: '/etc/c.txt',
        retries: 0,
        timeout: 5,
      },
    };
    expect(installArgv(step.config, '/py', full).slice(4)).toEqual([
      '--disable-pip-version-check',
      '--no-input',
      '--retries',
      '0',
      '--timeout',
      '5',
      '--index-url',
      'https://mirror.example/simple',
      '--extra-index-url',
      'https://a.example/simple',
      '--extra-index-url',
      'https://b.example/simple',
      '--extra-index-url',
      'https://pt.mirror.example/whl/cpu',
      '--trusted-host',
      'mirror.example',
      '--find-links',
      '/opt/wheels',
      '--find-links',
      'file:///srv/w',
      '--constraint',
      '/etc/c.txt',
      'torch==2.3.1',
    ]);
  });
  it('describes the command with the index after the profile, and flags plain-http indexes', () => {
    const venv = '/home/u/venvs/demo';
    const a = pipKind.describe(
      pipStep({ venv, packages: ['a==1.0', 'b>=0.5'] }),
      stepEnv(countingRunner({}), {
        name: 'm',
        pip: { 'index-url': 'http://pypi.internal/simple', 'trusted-host': 'pypi.internal' },
      }),
      {},
    );
    expect(a.summary).toBe(`pip install a==1.0 b>=0.5 into ${venv}`);
    expect(a.commands).toEqual([
      `${venv}/bin/python -m pip install --disable-pip-version-check --no-input --retries 2 --timeout 15 --index-url http://pypi.internal/simple --trusted-host pypi.internal a==1.0 'b>=0.5'`,
    ]);
    expect(a.urls).toEqual(['http://pypi.internal/simple']);
    expect(a.warnings).toEqual([
      'pip index over plain http: http://pypi.internal/simple',
      'trusted-host pypi.internal: pip skips TLS certificate checks for it',
    ]);
    const local = pipKind.describe(
      pipStep({ venv, packages: ['a'] }),
      stepEnv(countingRunner({}), { name: 'm', pip: { 'index-url': 'http://127.0.0.1:8080/simple' } }),
      {},
    );
    expect(local.warnings).toBeUndefined();
  });
  it('explains why pip could not resolve: an ignored http index, a conflict of pins, a constraint', () => {
    const ignored =
      "WARNING: The repository located at 192.0.2.2 is not a trusted or secure host and is being ignored. If this repository is available via HTTPS we recommend you use HTTPS instead, otherwise you may silence this warning and allow it anyway with '--trusted-host 192.0.2.2'.\nERROR: No matching distribution found for six";
    expect(resolutionHint(ignored, 'http://192.0.2.2:8765/simple')).toBe(
      "pip ignores the index at 192.0.2.2: it is plain http and not a trusted host (add it to the profile's pip.trusted-host, or use https)",
    );
    const conflict =
      'ERROR: Cannot install mpmath==1.4.1 and sympy==1.14.0 because these package versions have conflicting dependencies.\n\nThe conflict is caused by:\n    The user requested mpmath==1.4.1\n    sympy 1.14.0 depends on mpmath<1.4 and >=1.1.0\n\nTo fix this you could try to:\n';
    expect(resolutionHint(conflict)).toBe(
      'the requirements conflict (The user requested mpmath==1.4.1; sympy 1.14.0 depends on mpmath<1.4 and >=1.1.0): change the pins so they fit together',
    );
    expect(resolutionHint(conflict, undefined, true)).toMatch(
      /^the requirements conflict \(.*\): a constraint takes part: it may come from the host's pip config/,
    );
    expect(resolutionHint('ERROR: No matching distribution found for x')).toBeUndefined();
  });
  it('explains the failures people meet', () => {
    const pep668 = [
      'error: externally-managed-environment',
      '× This environment is externally managed',
      'hint: See PEP 668 for the detailed specification.',
    ];
    expect(pipFailureHint(pep668, { python: '/usr/bin/python3', inVenv: false })).toMatch(
      /^\/usr\/bin\/python3 is externally managed \(PEP 668\): install into a venv .*--break-system-packages/,
    );
    expect(
      pipFailureHint(
        [
          "ERROR: Could not install packages due to an OSError: [Errno 13] Permission denied: '/usr/lib/python3/dist-packages/x'",
        ],
        { python: '/usr/bin/python3', inVenv: false },
      ),
    ).toMatch(/cannot write .* as this user: install into a venv/);
    expect(
      pipFailureHint(['ERROR: No matching distribution found for envkit-demo-a==9.9'], {
        python: '/v/bin/python',
        inVenv: true,
        indexUrl: 'https://m/simple',
      }),
    ).toBe(
      "the index https://m/simple has no envkit-demo-a==9.9: check the name and pin, or pick another mirror (--mirror, or the step's index-url)",
    );
    expect(
      pipFailureHint(['/usr/bin/python3: No module named pip'], { python: '/usr/bin/python3', inVenv: false }),
    ).toMatch(/has no pip/);
    expect(pipFailureHint(['Successfully installed nothing'], { python: '/py', inVenv: true })).toBeUndefined();
  });
  it('has examples that validate as recipe steps', () => {
    const yaml = `name: ex\nsteps:\n${pipKind.examples.map((e) => e.replace(/^/gm, '  ')).join('\n')}\n`;
    const { recipe, problems } = parseRecipe('ex.yaml', Buffer.from(yaml));
    expect(problems).toEqual([]);
    expect(recipe!.steps.map((s) => s.kind)).toEqual(pipKind.examples.map(() => 'pip'));
  });
});
