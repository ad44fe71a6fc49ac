/**
 * The planner fixture table (docs/architecture.md, "Habits": tier 1): one folder per case under test/fixtures/plan/, holding
 * the recipe folder (*.yaml), `input.json` (recipes to plan, facts, check results, canRoot, --set) and
 * `expected.json` (each planned recipe in order with its state, and each step's id, state, reason and action
 * summary). Each case is planned by the real openSession and planSession, with the case folder as
 * `--recipes` and test/fixtures/plan/tuna.yaml as `--mirror`; only what would touch the host is given:
 * facts (sudo from canRoot), check results, and a runner that records any process the planner tries to
 * start (none may be). Nothing is written.
 *
 * Regenerate with `UPDATE_FIXTURES=1 npx vitest run test/unit/plan-table.test.ts`, then review every diff.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FactValue } from '../../src/facts/registry.js';
import { stepsToRun, type StepState } from '../../src/plan/plan.js';
import { openSession, planSession, selectRecipes } from '../../src/plan/session.js';
import type { CheckResult } from '../../src/steps/types.js';
import type { Selection } from '../../src/plan/select.js';
import type { Paths } from '../../src/util/paths.js';
import type { Runner } from '../../src/util/process.js';

const root = path.resolve(import.meta.dirname, '..', 'fixtures', 'plan');
const update = process.env.UPDATE_FIXTURES === '1';

interface CaseInput {
  recipes: string[];
  facts: Record<string, FactValue>;
  checks: Record<string, CheckResult>;
  canRoot: boolean;
  set?: string[];
  /** A step selection (--only, --skip, --tags, --skip-tags, --from); unset lists are empty. */
  select?: Partial<Selection>;
}

interface Expected {
  recipes: {
    name: string;
    state: StepState;
    steps: { id: string; state: StepState; reason: string; action: string }[];
  }[];
  counts: Record<StepState, number>;
  toRun: string[];
}

/** A fixed host layout, so expected plans do not depend on who runs the tests; no config.yaml, no other recipes. */
const home = '/home/tester';
const state = `${home}/.local/state/envkit`;
const config = `${home}/.config/envkit`;
const cache = `${home}/.cache/envkit`;
const paths: Paths = {
  home,
  config,
  configFile: '/nonexistent/config.yaml',
  userRecipes: '/nonexistent/user-recipes',
  envFile: `${config}/env.sh`,
  state,
  logs: `${state}/logs`,
  journal: `${state}/journal.jsonl`,
  inputs: `${state}/inputs.json`,
  backups: `${state}/backups`,
  src: `${state}/src`,
  lock: `${state}/run.lock`,
  cache,
  bundledRecipes: '/nonexistent/recipes',
};

async function planCase(dir: string): Promise<{ actual: Expected; stepIds: string[] }> {
  const input = JSON.parse(fs.readFileSync(path.join(dir, 'input.json'), 'utf8')) as CaseInput;
  // The planner must not run anything: a runner that records what it was asked to start, and fails it.
  const started: string[] = [];
  const runner: Runner = {
    run: async (req) => {
      started.push(req.argv.join(' '));
      throw new Error(`the planner tried to run ${req.argv.join(' ')}`);
    },
  };
  const session = await openSession({
    recipes: [dir],
    mirror: path.join(root, 'tuna.yaml'),
    set: input.set,
    prefix: '~/.local',
    runner,
    env: {},
    paths,
    facts: { ...input.facts, sudo: input.canRoot },
  });
  expect(session.catalog.problems, 'the case recipes load cleanly').toEqual([]);
  for (const n of input.recipes) expect(session.catalog.recipes.has(n), `recipe ${n} exists`).toBe(true);
  const { plan, resolved } = await planSession(session, selectRecipes(session, input.recipes), {
    check: async () => new Map(Object.entries(input.checks)),
    ...(input.select ? { select: { only: [], skip: [], tags: [], skipTags: [], ...input.select } } : {}),
  });
  expect(started, 'nothing was started').toEqual([]);
  const actual: Expected = {
    recipes: plan.recipes.map((r) => ({
      name: r.name,
      state: r.state,
      steps: r.steps.map((s) => ({ id: s.step.id, state: s.state, reason: s.reason, action: s.action.summary })),
    })),
    counts: plan.counts,
    toRun: stepsToRun(plan).map((s) => s.step.id),
  };
  return { actual, stepIds: resolved.flatMap((r) => r.steps.map((s) => s.id)) };
}

const cases = fs
  .readdirSync(root, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

describe('plan fixture table', () => {
  it('has at least ten cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(10);
  });

  it.each(cases)('%s', async (name) => {
    const dir = path.join(root, name);
    const { actual, stepIds } = await planCase(dir);
    const input = JSON.parse(fs.readFileSync(path.join(dir, 'input.json'), 'utf8')) as CaseInput;
    // A check result for a step that does not exist is a typo in the fixture, not a test of anything.
    for (const id of Object.keys(input.checks)) expect(stepIds, `check ${id} names a planned step`).toContain(id);
    const file = path.join(dir, 'expected.json');
    if (update) fs.writeFileSync(file, JSON.stringify(actual, null, 2) + '\n');
    expect(fs.existsSync(file), `${file} exists (UPDATE_FIXTURES=1 writes it)`).toBe(true);
    expect(actual).toEqual(JSON.parse(fs.readFileSync(file, 'utf8')));
  });
});
