import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { expectGolden } from './golden.js';
import { BIN, ROOT, cliEnv, normalize, runCli, startCli, tempHome, writeRecipes } from './helpers.js';

// Item 2 and 5 of issue 18: `run --json` per step, `--report` JUnit, the output schemas checked against real
// output, the slowest steps, the estimate from the journal, and `setup log`.

const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'e2e');
const ajv = new Ajv2020({ allErrors: true, strict: true });
const schema = (name: string) => {
  const s = JSON.parse(fs.readFileSync(path.join(ROOT, 'schema', name), 'utf8')) as { $id: string };
  return ajv.getSchema(s.$id) ?? ajv.compile(s);
};

/** Validates `setup … --json` output against schema/<name>; the parsed document. */
function valid(name: string, stdout: string): Record<string, unknown> {
  const doc = JSON.parse(stdout) as Record<string, unknown>;
  const v = schema(name);
  expect(v(doc), `${name}: ${ajv.errorsText(v.errors)}\n${stdout}`).toBe(true);
  return doc;
}

/** Durations, run ids and times masked, for golden files. */
const mask = (text: string, home: string): string =>
  normalize(text, home)
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<run-id>')
    .replace(/\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d(\.\d+)?( UTC|Z)?/g, '<time>')
    .replace(/time="\d+\.\d{3}"/g, 'time="<s>"')
    .replace(/\b\d+(\.\d+)?m?s\b|\b\d+m\d\ds\b/g, '<d>');

/** Parses a JUnit file with Python's XML parser and counts what a CI reporter would. */
const XML_CHECK = `import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
cases = root.findall('./testsuite/testcase')
print(f"{len(cases)} testcases, {len([c for c in cases if c.find('failure') is not None])} failure, {len([c for c in cases if c.find('skipped') is not None])} skipped")`;

const TIMED = `name: timed
description: Steps that take a while, for the timing report
steps:
  - name: Quick
    run: echo quick
  - name: Slow one
    run: sleep 1.2 && echo slow
  - name: Slower one
    run: sleep 1.7 && echo slower
`;

describe('setup run --json and --report', () => {
  it('a failed run: every step with its state before, outcome, log offsets and failure; the JUnit file; valid against the schema', async () => {
    const home = tempHome();
    const first = await runCli(['--recipes', FIXTURES, 'run', 'broken', '--json', '--report', 'junit.xml'], home);
    expect(first.code, first.stderr).toBe(1);
    const doc = valid('run-output.schema.json', first.stdout);
    expect(doc.status).toBe('failed');
    // Byte offsets depend on the paths in the log: the test checks them below, the golden masks them.
    expectGolden(
      'run-json-failed.json',
      mask(first.stdout, home)
        .replace(/"durationMs": \d+/g, '"durationMs": "<ms>"')
        .replace(/"(start|end)": \d+/g, '"$1": "<offset>"'),
    );
    const steps = doc.steps as {
      id: string;
      stateBefore: string;
      outcome: string;
      log: { start: number; end: number } | null;
      failure: { exitCode: number; command: string; tail: string[] } | null;
    }[];
    expect(steps.map((s) => [s.id, s.stateBefore, s.outcome])).toEqual([
      ['broken#1', 'pending', 'ok'],
      ['broken#2', 'pending', 'failed'],
      ['broken#3', 'pending', 'not-run'],
    ]);
    expect(steps[1]!.failure).toMatchObject({ exitCode: 3, command: expect.stringContaining('exit 3') });
    expect(steps[1]!.failure!.tail.at(-1)).toBe('fatal: unit 31 does not compile');
    expect(steps[2]!.log).toBeNull();
    // The offsets cut the run log into each step's section, end to end.
    const log = fs.readFileSync(doc.log as string);
    expect(steps[0]!.log!.start).toBe(0);
    expect(steps[1]!.log!.start).toBe(steps[0]!.log!.end);
    const section = log.subarray(steps[1]!.log!.start, steps[1]!.log!.end).toString();
    expect(section).toMatch(/^\n==> broken › Compile everything {2}\[broken#2, /);
    expect(section).toContain('fatal: unit 31 does not compile\n');
    expect(section).toMatch(/<== failed: command exited 3 \(\d+ms\)\n$/);
    expect(steps[1]!.log!.end).toBe(log.length);
    expectGolden('run-junit-failed.xml', mask(fs.readFileSync(path.join(home, 'junit.xml'), 'utf8'), home));
    // Well-formed for a real XML parser (Python's expat), not only like the golden file.
    const parsed = spawnSync('python3', ['-c', XML_CHECK, path.join(home, 'junit.xml')], { encoding: 'utf8' });
    if (!parsed.error) expect(parsed.stdout + parsed.stderr).toBe('3 testcases, 1 failure, 1 skipped\n');

    // Again: the first step is satisfied before the run, and says so.
    const again = await runCli(['--recipes', FIXTURES, 'run', 'broken', '--json'], home);
    const steps2 = valid('run-output.schema.json', again.stdout).steps as { stateBefore: string; outcome: string }[];
    expect(steps2[0]).toMatchObject({ stateBefore: 'satisfied', outcome: 'satisfied' });
    // setup log: the first of the two runs, as the journal has it.
    const log2 = await runCli(['log', '-2'], home);
    expect(log2.code, log2.stderr).toBe(0);
    expectGolden('log-failed.txt', mask(log2.stdout, home));
  });

  it('nothing to do: every step satisfied, in the JSON and in the report', async () => {
    const home = tempHome();
    expect((await runCli(['--recipes', FIXTURES, 'run', 'base'], home)).code).toBe(0);
    const r = await runCli(['--recipes', FIXTURES, 'run', 'base', '--json', '--report', 'out.xml'], home);
    expect(r.code, r.stderr).toBe(0);
    const doc = valid('run-output.schema.json', r.stdout);
    expect(doc).toMatchObject({ status: 'ok', ran: 0, already: 1, log: null, failed: null });
    expect(doc.steps).toMatchObject([
      { id: 'base#1', stateBefore: 'satisfied', outcome: 'satisfied', durationMs: null },
    ]);
    const xml = fs.readFileSync(path.join(home, 'out.xml'), 'utf8');
    expect(xml).toContain('tests="1" failures="0" errors="0" skipped="1"');
    expect(xml).toContain('<skipped message="already satisfied: ');
  });

  it('Ctrl-C: exit 130, and still the JSON (status interrupted, the step interrupted) and the report (an error)', async () => {
    const home = tempHome();
    const p = startCli(['--recipes', FIXTURES, 'run', 'slow', '--json', '--report', 'j.xml'], home);
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    const pid = path.join(home, 'slow-child.pid');
    for (let i = 0; i < 200 && !fs.existsSync(pid); i++) await new Promise((ok) => setTimeout(ok, 50));
    p.kill('SIGINT');
    const code = await new Promise<number | null>((ok) => p.on('exit', ok));
    expect(code, err).toBe(130);
    expect(err).toContain('setup: error: interrupted;');
    const doc = valid('run-output.schema.json', out);
    expect(doc).toMatchObject({ status: 'interrupted', failed: null });
    expect(doc.steps).toMatchObject([
      { id: 'slow#1', outcome: 'interrupted', failure: { message: 'command interrupted' } },
    ]);
    const xml = fs.readFileSync(path.join(home, 'j.xml'), 'utf8');
    expect(xml).toContain('tests="1" failures="0" errors="1" skipped="0"');
    expect(xml).toMatch(/<error message="command interrupted" type="SIG[A-Z]+">step: slow#1\n/);
  }, 30_000);

  it('--report into a folder that does not exist: one line, exit 2, nothing run', async () => {
    const home = tempHome();
    const r = await runCli(['--recipes', FIXTURES, 'run', 'base', '--report', 'no/such/dir/j.xml'], home);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `setup: error: --report no/such/dir/j.xml: the folder ${home}/no/such/dir does not exist (create it first, or name a file in an existing folder)\n`,
    );
    expect(fs.existsSync(path.join(home, 'work', 'base.txt'))).toBe(false);
  });

  it.skipIf(process.getuid?.() !== 0 || spawnSync('runuser', ['-u', 'nobody', '--', 'true']).status !== 0)(
    'a blocked step (root where root cannot be had): status blocked, the step failed with its reason, the rest not run',
    () => {
      const home = tempHome();
      const recipes = writeRecipes(path.join(home, 'rec'), {
        'rooted.yaml': `name: rooted
description: A root step
steps:
  - name: Plain
    run: echo hi
  - name: Root marker
    run: touch /root-marker-envkit
    root: true
    creates: /root-marker-envkit
`,
      });
      fs.chmodSync(home, 0o755);
      fs.chownSync(home, 65534, 65534);
      const r = spawnSync(
        'runuser',
        [
          '-u',
          'nobody',
          '--',
          'env',
          `HOME=${home}`,
          process.execPath,
          BIN,
          '--recipes',
          recipes,
          'run',
          'rooted',
          '--json',
        ],
        { encoding: 'utf8', cwd: home, env: cliEnv(home) },
      );
      expect(r.status, r.stderr + r.stdout).toBe(1);
      expect(r.stdout, r.stderr).not.toBe('');
      const doc = valid('run-output.schema.json', r.stdout);
      expect(doc).toMatchObject({ status: 'blocked', ran: 0, failed: { step: 'rooted#2' } });
      expect(doc.steps).toMatchObject([
        { outcome: 'not-run', stateBefore: 'pending' },
        { outcome: 'failed', stateBefore: 'blocked', failure: { message: expect.stringContaining('needs root') } },
      ]);
    },
  );
});

describe('setup plan --json', () => {
  it('matches schema/plan-output.schema.json: the fixtures and the whole bundled catalogue', async () => {
    const home = tempHome();
    for (const args of [['--recipes', FIXTURES, 'plan', 'tool', 'broken', 'secretive'], ['plan']]) {
      const r = await runCli([...args, '--json'], home, { CHECK_URL: 'http://127.0.0.1:9/x' });
      expect(r.code, r.stderr).toBe(0);
      const doc = valid('plan-output.schema.json', r.stdout);
      expect((doc.recipes as unknown[]).length).toBeGreaterThan(1);
    }
  });
});

describe('timing', () => {
  it('a run ends with its slowest steps; the next run shows the last duration as an estimate; setup log shows the runs', async () => {
    const home = tempHome();
    const recipes = writeRecipes(path.join(home, 'rec'), { 'timed.yaml': TIMED });
    const first = await runCli(['--recipes', recipes, 'run', 'timed'], home);
    expect(first.code, first.stderr).toBe(0);
    expectGolden('run-slowest.txt', mask(first.stderr, home));
    // --quiet: no slowest steps.
    const quiet = await runCli(['--recipes', recipes, 'run', 'timed', '-q'], home);
    expect(quiet.stderr).toMatch(/^Done: 3 steps run in [\d.]+s\.\n$/);
    // A heartbeat each second: the long steps say how long they took last time.
    const second = await runCli(['--recipes', recipes, 'run', 'timed'], home, { ENVKIT_HEARTBEAT_SECONDS: '1' });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr, second.stderr).toMatch(/^ {2}… \d\.\ds \(last time \d\.\ds\)$/m);
    expect(second.stderr).toMatch(/^\[3\/3\] timed › Slower one … \(last time \d\.\ds\)$/m);
    expect(second.stderr).toContain('[1/3] timed › Quick …\n'); // under a second last time: no estimate

    const last = await runCli(['log'], home);
    expect(last.code, last.stderr).toBe(0);
    expectGolden('log-last.txt', mask(last.stdout, home));
    const json = await runCli(['log', '-3', '--json'], home);
    expect(json.code, json.stderr).toBe(0);
    const doc = valid('log-output.schema.json', json.stdout);
    expect(doc).toMatchObject({ back: -3, status: 'ok', recipes: ['timed'] });
    expect((doc.steps as { name: string }[]).map((s) => s.name)).toEqual(['Quick', 'Slow one', 'Slower one']);
    // By id, or its first characters.
    const byId = await runCli(['log', (doc.id as string).slice(0, 8), '--json'], home);
    expect(JSON.parse(byId.stdout)).toEqual(doc);

    const bad = await runCli(['log', '-9'], home);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      'setup: error: there is no run -9: the journal has 3 runs (give -1 (the last) to -3, or a run id from `setup log --json`)\n',
    );
    // An unknown id: one line naming the last runs it could have meant.
    const none = await runCli(['log', 'abcdef'], home);
    expect(none.code).toBe(2);
    expect(none.stderr.trim().split('\n')).toHaveLength(1);
    expect(mask(none.stderr, home).replace(/\d{4}-\d\d-\d\d \d\d:\d\d UTC/g, '<time>')).toBe(
      'setup: error: no run abcdef in the journal (the last: <run-id> (<time>), <run-id> (<time>), <run-id> (<time>)) (give more of the run id, or -N for the run N back (-1 the last))\n',
    );
    expect(none.stderr).toContain(doc.id as string);
  }, 60_000);

  it('the estimate follows the step, not its position; a run with nothing to do is in setup log; an ambiguous id names the runs', async () => {
    const home = tempHome();
    const slow = (before: string): string =>
      `name: moved\ndescription: A slow step that moves down\nsteps:\n${before}  - name: Slow one\n    run: sleep 1.2 && touch "$HOME/slow"\n    creates: ~/slow\n`;
    const recipes = writeRecipes(path.join(home, 'rec'), { 'moved.yaml': slow('') });
    expect((await runCli(['--recipes', recipes, 'run', 'moved'], home)).code).toBe(0);
    // A quick step added before it: the slow step is moved#2 now, the quick one moved#1.
    writeRecipes(recipes, { 'moved.yaml': slow('  - name: Quick\n    run: echo quick\n') });
    fs.rmSync(path.join(home, 'slow'));
    const second = await runCli(['--recipes', recipes, 'run', 'moved'], home);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain('[1/2] moved › Quick …\n');
    expect(second.stderr).toMatch(/^\[2\/2\] moved › Slow one … \(last time 1\.\ds\)$/m);

    // Nothing to do: still journaled, and setup log says so.
    const noop = await runCli(['--recipes', recipes, 'run', 'moved', '--skip', 'Quick'], home);
    expect(noop.stderr).toContain('Nothing to do');
    const last = await runCli(['log', '--json'], home);
    expect(JSON.parse(last.stdout)).toMatchObject({ back: -1, status: 'ok', recipes: ['moved'], steps: [] });
    expect(valid('log-output.schema.json', last.stdout)).toBeTruthy();
    expect((await runCli(['log'], home)).stdout).toContain('nothing to do: every step was already satisfied');

    // Two runs whose ids start alike: the prefix is refused, naming both.
    const journal = path.join(home, '.local', 'state', 'envkit', 'journal.jsonl');
    const run = (id: string): string =>
      [
        { event: 'run-start', run: id, time: '2026-01-02T03:04:05.000Z', recipes: ['moved'] },
        { event: 'run-end', run: id, time: '2026-01-02T03:04:06.000Z', status: 'ok', durationMs: 1000 },
      ]
        .map((e) => JSON.stringify(e) + '\n')
        .join('');
    fs.appendFileSync(journal, run('abcd1111') + run('abcd2222'));
    const ambiguous = await runCli(['log', 'abcd'], home);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toBe(
      'setup: error: run id abcd is ambiguous: 2 runs start with it: abcd2222 (2026-01-02 03:04 UTC), abcd1111 (2026-01-02 03:04 UTC) (give more of the run id, or -N for the run N back (-1 the last))\n',
    );
    expect(JSON.parse((await runCli(['log', 'abcd1', '--json'], home)).stdout)).toMatchObject({ id: 'abcd1111' });
  }, 60_000);

  it('setup log with no journal: one line, exit 2', async () => {
    const home = tempHome();
    const r = await runCli(['log', '--json'], home);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'setup: error: no runs recorded: ~/.local/state/envkit/journal.jsonl does not exist or is empty (`setup run RECIPE` records one)\n',
    );
  });
});
