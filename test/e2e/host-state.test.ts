import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempHome, writeRecipes } from './helpers.js';

/** What `setup` says about recipes the host already has, partly has, or that only require others. */

/** Recipes in every state `list` and `doctor` tell apart. */
const STATES = Object.fromEntries(
  Object.entries({
    'done-one.yaml': 'name: done-one\nsteps:\n  - run: "true"\n    check: "true"\n',
    'half-done.yaml':
      'name: half-done\nsteps:\n  - run: "true"\n    check: "true"\n  - run: "true"\n    check: "false"\n',
    'not-done.yaml': 'name: not-done\nsteps:\n  - run: "true"\n    check: "false"\n',
    'host-has.yaml': 'name: host-has\nsteps:\n  - run: "true"\n    when: { git: [none, "<1.0"] }\n',
    'elsewhere.yaml': 'name: elsewhere\nsteps:\n  - run: "true"\n    when: { os: plan9 }\n',
    'meta-done.yaml': 'name: meta-done\nrequires: [done-one]\nsteps: []\n',
    'meta-open.yaml': 'name: meta-open\nrequires: [done-one, not-done]\nsteps: []\n',
  }).map(([file, text]) => [file, `description: about ${file}\n${text}`]),
);

describe('list', () => {
  it('says meta for a recipe of requires alone, and satisfied by the host when the host has what its steps install', async () => {
    const home = tempHome();
    const dir = writeRecipes(path.join(home, 'r'), STATES);
    const res = await runCli(['list', '--recipes', dir, '--json'], home);
    const state = Object.fromEntries(
      (JSON.parse(res.stdout).recipes as { name: string; state: string }[]).map((r) => [r.name, r.state]),
    );
    expect(state).toMatchObject({
      'done-one': 'satisfied',
      'half-done': 'partial',
      'not-done': 'pending',
      'host-has': 'satisfied-by-host',
      elsewhere: 'skipped',
      'meta-done': 'meta',
      'meta-open': 'meta',
      'ml-stack': 'meta',
    });
    const text = (await runCli(['list', '--recipes', dir], home)).stdout;
    const line = (name: string): string => text.split('\n').find((l) => l.startsWith(`${name} `))!;
    expect(line('host-has')).toMatch(/^host-has\s+satisfied by the host\s/);
    expect(line('elsewhere')).toMatch(/^elsewhere\s+not for this host\s/);
    expect(line('meta-done')).toMatch(/^meta-done\s+meta\s/);
    expect(line('ml-stack')).toMatch(/^ml-stack\s+meta\s/);
    // Descriptions line up whatever the state words.
    expect(new Set(['done-one', 'host-has', 'elsewhere', 'meta-done'].map((n) => line(n).indexOf('about '))).size).toBe(
      1,
    );
  });

  it('a partly installed recipe needs a satisfied step: skipped ones do not count', async () => {
    const home = tempHome();
    const dir = writeRecipes(path.join(home, 'r'), {
      'skip-then-open.yaml':
        'name: skip-then-open\nsteps:\n  - run: "true"\n    when: { os: plan9 }\n  - run: "true"\n    check: "false"\n',
    });
    const res = await runCli(['list', '--recipes', dir, '--json'], home);
    expect(
      (JSON.parse(res.stdout).recipes as { name: string; state: string }[]).find((r) => r.name === 'skip-then-open')!
        .state,
    ).toBe('pending');
  });
});

describe('plan of a meta recipe', () => {
  it("is never satisfied on its own: its state is its requirements'", async () => {
    const home = tempHome();
    const dir = writeRecipes(path.join(home, 'r'), STATES);
    const plan = JSON.parse(
      (await runCli(['plan', 'meta-done', 'meta-open', '--recipes', dir, '--json'], home)).stdout,
    ) as { recipes: { name: string }[] };
    const by = Object.fromEntries(plan.recipes.map((r) => [r.name, r]));
    expect(by['meta-done']).toMatchObject({ state: 'satisfied', meta: true });
    expect(by['meta-open']).toMatchObject({ state: 'pending', meta: true });
    const text = await runCli(['plan', 'meta-open', '--recipes', dir], home);
    expect(text.stdout).toContain('└─ (no steps of its own: it is what it requires, done-one, not-done)');
  });
});

describe('doctor', () => {
  it('by default covers every recipe with a satisfied step (partly installed too) or satisfied by the host, and no other', async () => {
    const home = tempHome();
    const dir = writeRecipes(path.join(home, 'r'), STATES);
    const res = await runCli(['doctor', '--recipes', dir, '--offline', '--json'], home);
    const doc = JSON.parse(res.stdout) as {
      recipes: string[];
      items: { recipe?: string; label: string; status: string; message: string; fix?: string }[];
    };
    expect(doc.recipes).toEqual(expect.arrayContaining(['done-one', 'half-done', 'host-has']));
    for (const name of ['not-done', 'elsewhere', 'meta-done', 'meta-open', 'ml-stack'])
      expect(doc.recipes).not.toContain(name);
    expect(doc.items.find((i) => i.recipe === 'half-done')).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/^1 of 2 not done/),
      fix: 'setup run half-done',
    });
    expect(doc.items.find((i) => i.recipe === 'host-has')).toMatchObject({
      status: 'ok',
      message: 'all 1 skipped: 1 as the host already has what it installs',
    });
  });

  it('on a named meta recipe checks what it pulls in, and never calls it installed on its own', async () => {
    const home = tempHome();
    const dir = writeRecipes(path.join(home, 'r'), STATES);
    const open = JSON.parse(
      (await runCli(['doctor', 'meta-open', '--recipes', dir, '--offline', '--json'], home)).stdout,
    );
    expect(open.recipes).toEqual(['done-one', 'not-done', 'meta-open']);
    expect(open.items.find((i: { recipe?: string }) => i.recipe === 'meta-open')).toMatchObject({
      status: 'fail',
      message: 'no steps of its own; 1 of 2 recipes it pulls in not done: not-done',
      fix: 'setup run meta-open',
    });
    const done = await runCli(['doctor', 'meta-done', '--recipes', dir, '--offline'], home);
    expect(done.code, done.stdout).toBe(0);
    expect(done.stdout).toContain('✓ requires  no steps of its own; the recipe it pulls in is done');
  });
});
