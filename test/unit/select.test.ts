import { describe, expect, it } from 'vitest';
import {
  globMatcher,
  hasSelection,
  matchesStep,
  selectSteps,
  splitTags,
  type Selection,
} from '../../src/plan/select.js';
import type { ResolvedStep } from '../../src/steps/types.js';
import { UsageError } from '../../src/util/errors.js';
import { closeNames } from '../../src/util/did-you-mean.js';

/** Only what selection reads of a step: its id, name and tags. */
const step = (id: string, name: string, tags: string[] = []): ResolvedStep =>
  ({ id, name, tags, recipe: id.split('#')[0]! }) as unknown as ResolvedStep;

const steps = [
  step('base#1', 'Write the base marker'),
  step('faiss#1', 'Clone faiss', ['src']),
  step('faiss#2', 'Build faiss', ['build']),
  step('faiss#3', 'Build the GPU kernels', ['build', 'gpu']),
  step('faiss#4', ''),
];
const sel = (s: Partial<Selection>): Selection => ({ only: [], skip: [], tags: [], skipTags: [], ...s });
const left = (s: Partial<Selection>): Record<string, string> =>
  Object.fromEntries(
    [...selectSteps(steps, sel(s))].map(([id, l]) => [id, `${l.by} | ${l.fix}${l.named ? ' | named' : ''}`]),
  );
const usage = (s: Partial<Selection>): string => {
  try {
    selectSteps(steps, sel(s));
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('no error');
};

describe('globMatcher', () => {
  it.each([
    ['faiss#3', 'faiss#3', true],
    ['faiss#*', 'faiss#12', true],
    ['faiss#?', 'faiss#12', false],
    ['Build*', 'build faiss', true],
    ['*GPU*', 'Build the GPU kernels', true],
    ['a.b', 'axb', false],
    ['(x)+[y]', '(x)+[y]', true],
    ['faiss', 'faiss#1', false],
  ])('%s ~ %s → %s', (p, text, want) => expect(globMatcher(p)(text)).toBe(want));
});

describe('matchesStep', () => {
  it('matches the id, the name (never an empty one) or the recipe', () => {
    expect(matchesStep('faiss#2', steps[2]!)).toBe(true);
    expect(matchesStep('Build faiss', steps[2]!)).toBe(true);
    expect(matchesStep('', steps[4]!)).toBe(false);
    expect(matchesStep('faiss', steps[4]!)).toBe(true);
    expect(matchesStep('fai*', steps[0]!)).toBe(false);
  });
});

describe('splitTags / hasSelection', () => {
  it('splits at commas, trims, lowercases, drops empties', () => {
    expect(splitTags(['gpu, Slow', 'docs,,'])).toEqual(['gpu', 'slow', 'docs']);
  });
  it('an empty selection is none', () => {
    expect(hasSelection(sel({}))).toBe(false);
    expect(hasSelection(sel({ from: 'faiss#2' }))).toBe(true);
    expect(selectSteps(steps, sel({})).size).toBe(0);
  });
});

describe('selectSteps', () => {
  it('--only takes the matching steps; the rest are left out with how to add them', () => {
    expect(left({ only: ['Build*'] })).toEqual({
      'base#1': '--only "Build*" | add --only base#1',
      'faiss#1': '--only "Build*" | add --only faiss#1',
      'faiss#4': '--only "Build*" | add --only faiss#4',
    });
  });

  it('--only and --tags both take steps in; --skip and --skip-tags leave out by name', () => {
    expect(left({ only: ['base#1'], tags: ['build'], skipTags: ['gpu'] })).toEqual({
      'faiss#1': '--only base#1 --tags build | add --only faiss#1',
      'faiss#3': '--skip-tags gpu | drop gpu from --skip-tags | named',
      'faiss#4': '--only base#1 --tags build | add --only faiss#4',
    });
    expect(left({ skip: ['*GPU*', 'faiss#4'] })).toEqual({
      'faiss#3': '--skip "*GPU*" | drop --skip "*GPU*" | named',
      'faiss#4': '--skip faiss#4 | drop --skip faiss#4 | named',
    });
  });

  it('--from leaves out every step before the first match, in plan order; causes add up', () => {
    expect(left({ from: 'Build*', skip: ['faiss#1'] })).toEqual({
      'base#1': '--from "Build*" | start earlier: --from base#1',
      'faiss#1': '--from "Build*", --skip faiss#1 | start earlier: --from faiss#1, drop --skip faiss#1',
    });
  });

  it('a pattern or tag that matches nothing is a usage error naming close ones', () => {
    expect(usage({ only: ['Buld faiss'] })).toBe('--only "Buld faiss" matches no step (close: "Build faiss", faiss)');
    expect(usage({ skip: ['faiss#9'] })).toMatch(
      /^--skip faiss#9 matches no step \(close: faiss#1, faiss#2, faiss#3\)$/,
    );
    expect(usage({ from: 'zzz' })).toBe('--from zzz matches no step');
    expect(usage({ tags: ['gpus'] })).toBe('--tags gpus: no step has this tag (close: gpu)');
    expect(usage({ skipTags: ['docs'] })).toBe('--skip-tags docs: no step has this tag (tags: build, gpu, src)');
  });
});

describe('closeNames', () => {
  it('typos and containing names, closest first, at most n', () => {
    expect(closeNames('Bild*', ['Build faiss', 'Build', 'Clone'])).toEqual(['Build']);
    expect(closeNames('faiss', ['Build faiss', 'faiss#1', 'Clone'])).toEqual(['faiss#1', 'Build faiss']);
    expect(closeNames('zzz', ['Build'])).toEqual([]);
    expect(closeNames('*', ['Build'])).toEqual([]);
  });
});
