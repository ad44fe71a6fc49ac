import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InputStore } from '../../src/plan/inputs.js';
import { inputsOf } from '../../src/steps/inputs.js';
import { resolveText } from '../helpers/resolve.js';

/** A configure-like step, then a build whose `creates:`/`check:` the user adds later (as a draft's TODO asks). */
const yaml = (target: string, judged: string): string =>
  `name: tool\ndescription: x\nsteps:\n  - name: Build\n    make: { dir: /src/tool, vars: { TARGET: ${target} } }\n${judged}  - name: Install\n    make: { dir: /src/tool, targets: [install] }\n${judged}`;

const resolve = (text: string) => resolveText('/virtual/tool.yaml', text).steps;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'envkit-step-inputs-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A store whose record for tool#2 holds `inputs`. */
function recorded(inputs: Record<string, string>): InputStore {
  const file = path.join(dir, `inputs-${Math.random()}.json`);
  fs.writeFileSync(
    file,
    JSON.stringify({ version: 1, steps: { 'tool#2': { time: '2026-01-01T00:00:00.000Z', inputs } } }),
  );
  return new InputStore(file);
}

describe('step inputs: what a step is built from, not how it is judged', () => {
  it('adding creates:, check: or unless: to steps that ran without them is no change', () => {
    const [, ran] = resolve(yaml('NEHALEM', ''));
    const judged = '    creates: /src/tool/out\n    check: test -x /src/tool/out\n    unless: "false"\n';
    const [, now] = resolve(yaml('NEHALEM', judged));
    expect(inputsOf(now!)).toEqual(inputsOf(ran!));
    expect(recorded(inputsOf(ran!)).changes(now!)).toEqual([]);
  });

  it('a record an older setup wrote with creates/check/unless keys is read without them; a real change is still seen', () => {
    const [, step] = resolve(yaml('NEHALEM', ''));
    const old = { ...inputsOf(step!), creates: '["/src/tool/old"]', check: 'true', '#1 unless': 'false' };
    expect(recorded(old).changes(step!)).toEqual([]);
    const [, moved] = resolve(yaml('HASWELL', ''));
    expect(recorded(old).changes(moved!)).toEqual(['Build: TARGET: NEHALEM → HASWELL']);
  });
});
