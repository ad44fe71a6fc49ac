import { describe, expect, it } from 'vitest';
import type { FactValue } from '../../src/facts/registry.js';
import { evaluateWhen, validateWhen, type WhenMatcher } from '../../src/lang/when.js';

const host: Record<string, FactValue> = {
  os: 'linux',
  distro: 'ubuntu',
  distro_version: '22.04',
  arch: 'x86_64',
  cpus: 16,
  gpu: false,
  gpu_count: 0,
  python: '3.11.7',
  cuda: null,
};
const debian12: Record<string, FactValue> = { ...host, distro: 'debian', distro_version: '12' };

describe('evaluateWhen', () => {
  it('holds without a when', () => {
    expect(evaluateWhen(undefined, host)).toBeNull();
    expect(evaluateWhen({}, host)).toBeNull();
  });

  it.each<[string, Record<string, WhenMatcher>, Record<string, FactValue>, string | null]>([
    ['a plain value', { distro: 'ubuntu' }, host, null],
    ['a value, case-insensitively', { arch: 'X86_64' }, host, null],
    ['a plain value that differs', { distro: 'debian' }, host, 'distro is ubuntu, wants debian'],
    ['a list: any may match', { distro: ['debian', 'ubuntu'] }, host, null],
    [
      'a list none of which matches',
      { distro: ['rhel', 'fedora'] },
      host,
      'distro is ubuntu, wants one of rhel, fedora',
    ],
    ['a range on python', { python: '>=3.8' }, host, null],
    ['a range on python that fails', { python: '>=3.12' }, host, 'python is 3.11.7, wants >=3.12'],
    ['a range with leading zeros', { distro_version: '>=20.04' }, host, null],
    [
      'a range with leading zeros that fails',
      { distro_version: '>=22.10' },
      host,
      'distro_version is 22.04, wants >=22.10',
    ],
    ['an upper bound excludes itself', { distro_version: '<12' }, debian12, 'distro_version is 12, wants <12'],
    ['an upper bound', { distro_version: '<13' }, debian12, null],
    ['a compound range', { python: '>=3.8 <3.12' }, host, null],
    ['an or-range', { python: '<3.0 || >=3.11' }, host, null],
    ['a range in a list', { python: ['3.9', '>=3.11'] }, host, null],
    ['a number fact with a range', { cpus: '>=8' }, host, null],
    ['a number fact with a number', { cpus: 16 }, host, null],
    ['a number fact with another number', { cpus: 8 }, host, 'cpus is 16, wants 8'],
    ['distro_version: 12 (a YAML number) matches "12"', { distro_version: 12 }, debian12, null],
    ['distro_version: 12 matches a point release "12.4"', { distro_version: 12 }, { distro_version: '12.4' }, null],
    [
      'distro_version: 12 does not match "120"',
      { distro_version: 12 },
      { distro_version: '120' },
      'distro_version is 120, wants 12',
    ],
    ['python: 3.11 (a YAML number) matches "3.11.7"', { python: 3.11 }, host, null],
    ['python: "3.1" does not match "3.11.7"', { python: '3.1' }, host, 'python is 3.11.7, wants 3.1'],
    ['a prefix match is only for versions', { distro: 'ubu' }, host, 'distro is ubuntu, wants ubu'],
    ['gpu: false on a host without GPU', { gpu: false }, host, null],
    ['gpu: true on a host without GPU', { gpu: true }, host, 'gpu is false, wants true'],
    ['a boolean does not equal its text', { gpu: 'no' }, host, 'gpu is false, wants no'],
    ['a null fact matches false', { cuda: false }, host, null],
    ['a null fact matches "none"', { cuda: 'none' }, host, null],
    ['a null fact fails a value', { cuda: '12.4' }, host, 'cuda is not present, wants 12.4'],
    ['a null fact fails a range', { cuda: '>=11' }, host, 'cuda is not present, wants >=11'],
    ['a null fact fails true', { cuda: true }, host, 'cuda is not present, wants true'],
    ['a fact absent from the map is null', { nvcc: '>=12' }, host, 'nvcc is not present, wants >=12'],
    [
      'all matchers must hold: the first failing one is named',
      { distro: 'ubuntu', arch: 'aarch64', gpu: true },
      host,
      'arch is x86_64, wants aarch64',
    ],
  ])('%s', (_label, when, facts, want) => {
    expect(evaluateWhen(when, facts)).toBe(want);
  });
});

describe('validateWhen', () => {
  it('accepts known facts, values, lists and good ranges', () => {
    expect(
      validateWhen({
        distro: ['debian', 'ubuntu'],
        arch: 'x86_64',
        gpu: false,
        python: '>=3.8',
        distro_version: '<12',
        cpus: 4,
        cuda: ['^12', '11.8'],
      }),
    ).toEqual([]);
  });

  it('rejects an unknown fact and suggests the closest one', () => {
    const [p, ...rest] = validateWhen({ distr: 'debian' });
    expect(rest).toEqual([]);
    expect(p).toEqual({
      fact: 'distr',
      message: 'unknown fact "distr" in when (did you mean "distro"?)',
      hint: undefined,
    });
  });

  it('does not suggest a fact far from any, and points at doctor instead', () => {
    const [p] = validateWhen({ kernel_flavour: 'rt' });
    expect(p!.message).toBe('unknown fact "kernel_flavour" in when');
    expect(p!.hint).toMatch(/setup doctor/);
  });

  it('rejects bad ranges, with the list index when in a list', () => {
    expect(validateWhen({ python: '>=x.y' })).toEqual([
      {
        fact: 'python',
        index: undefined,
        message: 'bad version range ">=x.y" for python',
        hint: expect.stringContaining('>=3.8'),
      },
    ]);
    expect(validateWhen({ python: ['3.11', '>>3'] })).toMatchObject([
      { fact: 'python', index: 1, message: 'bad version range ">>3" for python' },
    ]);
    expect(validateWhen({ cuda: '>=' })).toHaveLength(1);
  });

  it('suggests the operator the writer meant for => and =<', () => {
    expect(validateWhen({ python: '=>3.8' })).toEqual([
      {
        fact: 'python',
        index: undefined,
        message: 'bad version range "=>3.8" for python (did you mean ">=3.8"?)',
        hint: undefined,
      },
    ]);
    expect(validateWhen({ cuda: ['=<12'] })[0]!.message).toBe(
      'bad version range "=<12" for cuda (did you mean "<=12"?)',
    );
    expect(validateWhen({ cuda: '=>foo' })[0]!.message).toBe('bad version range "=>foo" for cuda');
  });

  it('reports every problem, not just the first', () => {
    const problems = validateWhen({ distr: 'x', python: '>=foo', cmake: ['~bar', '3.20'], gpus: true });
    expect(problems.map((p) => p.fact)).toEqual(['distr', 'python', 'cmake', 'gpus']);
  });
});
