import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalize, runCli, tempHome, writeRecipes } from './helpers.js';

const RECIPE = `name: show-me
description: A script and a one-liner
steps:
  - name: Build it
    run: |
      mkdir -p "$HOME/w"
      echo built > "$HOME/w/out"
    creates: ~/w/out
  - name: One line
    run: echo one
  - run: |
      echo unnamed
      echo second
`;

describe('setup show', () => {
  it('prints a multi-line run: script once, its lines indented under the step', async () => {
    const home = tempHome('envkit-show-');
    const dir = writeRecipes(path.join(home, 'recipes'), { 'show-me.yaml': RECIPE });
    const res = await runCli(['--recipes', dir, 'show', 'show-me'], home);
    expect(res.code, res.stderr).toBe(0);
    const steps = normalize(res.stdout, home).split('\nsteps:\n')[1]!;
    expect(steps).toBe(
      [
        '  1. Build it [run]',
        '     $ mkdir -p "$HOME/w"',
        '       echo built > "$HOME/w/out"',
        '     creates ~/w/out',
        '  2. One line [run]',
        '     run echo one',
        '  3. run echo unnamed [run]',
        '     $ echo unnamed',
        '       echo second',
        '',
      ].join('\n'),
    );
  });
});
