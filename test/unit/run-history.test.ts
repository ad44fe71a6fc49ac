import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lastDurations, pastRuns, pickRun, type PastRun } from '../../src/run/history.js';
import { readJournal, type JournalEvent } from '../../src/run/journal.js';
import { junitXml, xmlEscape } from '../../src/run/junit.js';
import { slowest, type StepReport } from '../../src/run/report.js';

const ev = (e: Partial<JournalEvent> & Pick<JournalEvent, 'event' | 'run'>): JournalEvent => ({
  time: '2026-01-01T00:00:00.000Z',
  ...e,
});

const EVENTS: JournalEvent[] = [
  ev({ event: 'run-start', run: 'aaaa1111', log: '/l/1.log', recipes: ['cmake'] }),
  ev({
    event: 'step-ok',
    run: 'aaaa1111',
    recipe: 'cmake',
    step: 'cmake#1',
    name: 'Build cmake',
    status: 'ok',
    durationMs: 732_000,
  }),
  ev({ event: 'run-end', run: 'aaaa1111', status: 'ok', durationMs: 733_000 }),
  ev({ event: 'run-start', run: 'aaaa2222', log: '/l/2.log', recipes: ['cmake'] }),
  ev({ event: 'step-ok', run: 'aaaa2222', recipe: 'cmake', step: 'cmake#1', status: 'already', durationMs: 3 }),
  ev({
    event: 'step-failed',
    run: 'aaaa2222',
    recipe: 'cmake',
    step: 'cmake#2',
    name: 'Build',
    message: 'exited 2',
    durationMs: 10,
  }),
  ev({ event: 'run-end', run: 'aaaa2222', status: 'failed', durationMs: 20 }),
  // Killed: no end.
  ev({ event: 'run-start', run: 'bbbb3333', log: '/l/3.log' }),
];

describe('pastRuns / pickRun', () => {
  const runs = pastRuns(EVENTS);

  it('groups the journal by run, oldest first; a run without an end is unfinished', () => {
    expect(runs.map((r) => [r.id, r.status, r.steps.length])).toEqual([
      ['aaaa1111', 'ok', 1],
      ['aaaa2222', 'failed', 2],
      ['bbbb3333', 'unfinished', 0],
    ]);
    expect(runs[1]!.steps.map((s) => s.status)).toEqual(['already', 'failed']);
    expect(runs[1]!.steps[1]).toMatchObject({ name: 'Build', message: 'exited 2' });
  });

  it('picks the last run by default, -N back, an id or a unique beginning of one', () => {
    const id = (r: ReturnType<typeof pickRun>) => ('problem' in r ? r.problem : (r as PastRun).id);
    expect(id(pickRun(runs, undefined))).toBe('bbbb3333');
    expect(id(pickRun(runs, '-3'))).toBe('aaaa1111');
    expect(id(pickRun(runs, 'aaaa2222'))).toBe('aaaa2222');
    expect(id(pickRun(runs, 'bbbb'))).toBe('bbbb3333');
    expect(id(pickRun(runs, 'aaaa'))).toBe(
      'run id aaaa is ambiguous: 2 runs start with it: aaaa2222 (2026-01-01 00:00 UTC), aaaa1111 (2026-01-01 00:00 UTC)',
    );
    // Under 4 characters: no prefix match, but the runs it could mean are named.
    expect(id(pickRun(runs, 'bbb'))).toBe(
      'run id bbb is too short (4 characters at least): 1 run starts with it: bbbb3333 (2026-01-01 00:00 UTC)',
    );
    expect(id(pickRun(runs, 'cccc'))).toBe(
      'no run cccc in the journal (the last: bbbb3333 (2026-01-01 00:00 UTC), aaaa2222 (2026-01-01 00:00 UTC), aaaa1111 (2026-01-01 00:00 UTC))',
    );
    expect(id(pickRun(runs, '-4'))).toBe('there is no run -4: the journal has 3 runs');
    expect(id(pickRun(runs, '-0'))).toBe('there is no run -0: the journal has 3 runs');
    expect(id(pickRun([], undefined))).toBe('the journal has no runs yet');
  });

  it("takes each step's last successful duration as its estimate (an `already` says nothing of how long it takes)", () => {
    // Keyed by recipe and name, not position: a step added earlier in the recipe keeps each estimate its own.
    expect(lastDurations(EVENTS)).toEqual(new Map([['cmake › Build cmake', 732_000]]));
  });

  it('reads the journal leaving out lines that are not events; no journal is no events', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'envkit-journal-'));
    const file = path.join(dir, 'journal.jsonl');
    expect(readJournal(file)).toEqual([]);
    fs.writeFileSync(file, `${JSON.stringify(EVENTS[0])}\n{"event":"run-e\n[1]\n\n${JSON.stringify(EVENTS[2])}\n`);
    expect(readJournal(file)).toEqual([EVENTS[0], EVENTS[2]]);
  });
});

const report = (r: Partial<StepReport>): StepReport => ({
  id: 'r#1',
  recipe: 'r',
  name: 'step',
  kind: 'run',
  stateBefore: 'pending',
  outcome: 'ok',
  message: 'done',
  durationMs: 10,
  log: { start: 0, end: 10 },
  failure: null,
  ...r,
});

describe('JUnit XML', () => {
  it('escapes markup and quotes, and replaces what XML cannot hold', () => {
    expect(xmlEscape(`a<b>&"c'\u0007\u001b[31m\r`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;\uFFFD\uFFFD[31m&#13;');
  });

  it('maps outcomes: ok/already pass, satisfied/skipped/not-run skipped, failed a failure, interrupted an error', () => {
    const xml = junitXml(
      [
        report({ outcome: 'ok' }),
        report({ outcome: 'already' }),
        report({ outcome: 'satisfied', message: 'x exists', durationMs: null, log: null }),
        report({ outcome: 'not-run', message: 'not run', durationMs: null, log: null }),
        report({
          outcome: 'failed',
          message: 'command exited 2',
          durationMs: 1500,
          failure: {
            message: 'command exited 2',
            hint: 'fix it',
            exitCode: 2,
            signal: null,
            command: 'make',
            tail: ['t'],
          },
        }),
        report({ outcome: 'interrupted', message: 'interrupted' }),
      ],
      { name: 'setup run r', timestamp: '2026-01-01T00:00:00Z', durationMs: 2000, excerpt: () => '' },
    );
    expect(xml).toContain('tests="6" failures="1" errors="1" skipped="2" time="2.000"');
    expect(xml).toContain('<skipped message="already satisfied: x exists"/>');
    expect(xml).toContain(
      '<failure message="command exited 2" type="exit 2">step: r#1\ncommand: make\nhint: fix it\n\nt</failure>',
    );
    expect(xml).toContain('<error message="interrupted" type="interrupted">');
    expect(xml).toContain('time="1.500"');
  });

  it('the slowest steps: at least a second, slowest first, three at most, never an `already`', () => {
    const rs = [900, 1000, 5000, 3000, 2000].map((d, i) => report({ id: `r#${i}`, durationMs: d }));
    rs.push(report({ id: 'already', outcome: 'already', durationMs: 9000 }));
    expect(slowest(rs).map((r) => r.id)).toEqual(['r#2', 'r#3', 'r#4']);
  });
});
