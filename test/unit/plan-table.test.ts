/**
 * The planner fixture table (CONVENTIONS 9, tier 1): one folder per case under test/fixtures/plan/, holding
 * the recipe folder (*.yaml), `input.json` (recipes to plan, facts, check results, canRoot, --set) and
 * `expected.json` (each planned recipe in order with its state, and each step's id, state, reason and action
 * summary). Nothing is spawned and nothing is written: check results come from the fixture.
 *
 * Regenerate with `UPDATE_FIXTURES=1 npx vitest run test/unit/plan-table.test.ts`, then review every diff.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FactValue } from '../../src/facts/registry.js';
import { FactStore } from '../../src/facts/store.js';
import { makePlan, stepsToRun, type StepState } from '../../src/plan/plan.js';
import { loadCatalog, orderWithRequires } from '../../src/catalog/catalog.js';
import { mirrorValues } from '../../src/catalog/profile.js';
import { resolveRecipe, type ResolveContext } from '../../src/catalog/resolve.js';
import type { Profile } from '../../src/lang/schema.js';
import { parseSets } from '../../src/plan/session.js';
import type { Action, CheckResult, StepEnv } from '../../src/steps/types.js';
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
}

interface Expected {
  recipes: { name: string; state: StepState; steps: { id: string; state: StepState; reason: string; action: string }[] }[];
  counts: Record<StepState, number>;
  toRun: string[];
}

/** A fixed host layout, so expected plans do not depend on who runs the tests. */
const home = '/home/tester';
const state = `${home}/.local/state/envkit`;
const config = `${home}/.config/envkit`;
const cache = `${home}/.cache/envkit`;
const paths: Paths = {
  home,
  config,
  configFile: `${config}/config.yaml`,
  userRecipes: `${config}/recipes`,
  envFile: `${config}/env.sh`,
  state,
  logs: `${state}/logs`,
  journal: `${state}/journal.jsonl`,
  backups: `${state}/backups`,
  src: `${state}/src`,
  lock: `${state}/run.lock`,
  cache,
  bundledRecipes: '/nonexistent/recipes',
};
const prefix = `${home}/.local`;
const profile: Profile = { name: 'tuna', pip: { 'index-url': 'https://pypi.tuna.tsinghua.edu.cn/simple' }, go: { proxy: 'https://goproxy.cn,direct' } };

/** The planner must not run anything: a runner that fails the test if it is called. */
const noRunner: Runner = {
  run: async (req) => {
    throw new Error(`the planner tried to run ${req.argv.join(' ')}`);
  },
};
const stepEnv: StepEnv = { runner: noRunner, facts: new FactStore(noRunner, { PATH: '' }, home), paths, prefix, profile, processEnv: {} };

async function planCase(dir: string): Promise<{ actual: Expected; stepIds: string[] }> {
  const input = JSON.parse(fs.readFileSync(path.join(dir, 'input.json'), 'utf8')) as CaseInput;
  const catalog = await loadCatalog([{ dir, origin: 'flag', explicit: true }]);
  expect(catalog.problems, 'the case recipes load cleanly').toEqual([]);
  for (const n of input.recipes) expect(catalog.recipes.has(n), `recipe ${n} exists`).toBe(true);
  const ctx: ResolveContext = {
    facts: input.facts,
    dirs: { home, src: paths.src, cache, state, config },
    prefix,
    mirror: mirrorValues(profile),
    overrides: parseSets(input.set ?? []),
  };
  const resolved = orderWithRequires(catalog.recipes, input.recipes).map((r) => resolveRecipe(r, ctx));
  const steps = resolved.flatMap((r) => r.steps);
  const actions = new Map<string, Action>(steps.map((s) => [s.id, s.impl.describe(s, stepEnv)]));
  const plan = makePlan(resolved, { checks: new Map(Object.entries(input.checks)), actions, canRoot: input.canRoot });
  const actual: Expected = {
    recipes: plan.recipes.map((r) => ({
      name: r.name,
      state: r.state,
      steps: r.steps.map((s) => ({ id: s.step.id, state: s.state, reason: s.reason, action: s.action.summary })),
    })),
    counts: plan.counts,
    toRun: stepsToRun(plan).map((s) => s.step.id),
  };
  return { actual, stepIds: steps.map((s) => s.id) };
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
