import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as p from '../../src/facts/parsers.js';

const dir = path.resolve(import.meta.dirname, '..', 'fixtures', 'facts');
const fixture = (name: string): string => fs.readFileSync(path.join(dir, name), 'utf8');

describe('parseOsRelease on captured /etc/os-release files', () => {
  it.each([
    [
      'os-release.debian-12',
      {
        ID: 'debian',
        VERSION_ID: '12',
        VERSION_CODENAME: 'bookworm',
        ID_LIKE: undefined,
        PRETTY_NAME: 'Debian GNU/Linux 12 (bookworm)',
      },
    ],
    [
      'os-release.ubuntu-22.04',
      {
        ID: 'ubuntu',
        VERSION_ID: '22.04',
        VERSION_CODENAME: 'jammy',
        ID_LIKE: 'debian',
        PRETTY_NAME: 'Ubuntu 22.04.4 LTS',
      },
    ],
    [
      'os-release.rocky-9',
      {
        ID: 'rocky',
        VERSION_ID: '9.4',
        VERSION_CODENAME: undefined,
        ID_LIKE: 'rhel centos fedora',
        PRETTY_NAME: 'Rocky Linux 9.4 (Blue Onyx)',
      },
    ],
    [
      'os-release.rhel-9',
      {
        ID: 'rhel',
        VERSION_ID: '9.4',
        VERSION_CODENAME: undefined,
        ID_LIKE: 'fedora',
        PRETTY_NAME: 'Red Hat Enterprise Linux 9.4 (Plow)',
      },
    ],
    [
      'os-release.fedora-40',
      {
        ID: 'fedora',
        VERSION_ID: '40',
        VERSION_CODENAME: '',
        ID_LIKE: undefined,
        PRETTY_NAME: 'Fedora Linux 40 (Workstation Edition)',
      },
    ],
    [
      'os-release.alpine-3.20',
      {
        ID: 'alpine',
        VERSION_ID: '3.20.3',
        VERSION_CODENAME: undefined,
        ID_LIKE: undefined,
        PRETTY_NAME: 'Alpine Linux v3.20',
      },
    ],
  ])('%s', (file, want) => {
    const got = p.parseOsRelease(fixture(file));
    for (const [k, v] of Object.entries(want)) expect(got[k], k).toBe(v);
  });

  it('reads unquoted, double- and single-quoted values, unescapes, skips comments and blank lines', () => {
    const got = p.parseOsRelease(
      '# a comment\n\nID=debian\nNAME="A \\"quoted\\" \\$name"\nX=\'single\'\n  VERSION_ID="12"  \nnot a line\nlower=x\n',
    );
    expect(got).toEqual({ ID: 'debian', NAME: 'A "quoted" $name', X: 'single', VERSION_ID: '12' });
  });

  it('keeps an unquoted value with = in it whole', () => {
    expect(p.parseOsRelease('CPE_NAME=cpe:/o:x=y\n')).toEqual({ CPE_NAME: 'cpe:/o:x=y' });
  });

  it('is empty for empty input', () => {
    expect(p.parseOsRelease('')).toEqual({});
  });
});

describe('nvidia-smi', () => {
  it('reads the CUDA version the driver supports from the plain table', () => {
    expect(p.parseNvidiaSmiCuda(fixture('nvidia-smi.plain'))).toBe('12.4');
  });

  it('has no CUDA version when nvidia-smi failed', () => {
    expect(p.parseNvidiaSmiCuda(fixture('nvidia-smi.failed'))).toBeNull();
    expect(p.parseNvidiaSmiCuda('')).toBeNull();
  });

  it('reads one GPU from --query-gpu csv', () => {
    expect(p.parseNvidiaSmiQuery(fixture('nvidia-smi.query-1gpu'))).toEqual([
      { name: 'NVIDIA H200', driver: '560.35.03', memoryMiB: 143771 },
    ]);
  });

  it('reads eight GPUs', () => {
    const gpus = p.parseNvidiaSmiQuery(fixture('nvidia-smi.query-8gpu'));
    expect(gpus).toHaveLength(8);
    for (const g of gpus) expect(g).toEqual({ name: 'NVIDIA H200', driver: '560.35.03', memoryMiB: 143771 });
  });

  it('keeps memory null when nvidia-smi says [N/A], and tolerates a header line and CRLF', () => {
    expect(
      p.parseNvidiaSmiQuery(
        'name, driver_version, memory.total [MiB]\r\nNVIDIA GeForce RTX 4090, 550.54.14, [N/A]\r\n',
      ),
    ).toEqual([{ name: 'NVIDIA GeForce RTX 4090', driver: '550.54.14', memoryMiB: null }]);
  });

  it.each(['nvidia-smi.failed', 'nvidia-smi.no-devices', 'nvidia-smi.nvml-mismatch'])('%s yields no GPU', (file) => {
    expect(p.parseNvidiaSmiQuery(fixture(file))).toEqual([]);
  });

  it('yields no GPU for empty output', () => {
    expect(p.parseNvidiaSmiQuery('')).toEqual([]);
    expect(p.parseNvidiaSmiQuery('\n\n')).toEqual([]);
  });
});

describe('tool versions', () => {
  it.each([
    ['nvcc-12.2', '12.2'],
    ['nvcc-13.0', '13.0'],
  ])('nvcc --version: %s', (file, want) => {
    expect(p.parseNvccVersion(fixture(file))).toBe(want);
  });

  it('nvcc: null for unrelated output', () => {
    expect(p.parseNvccVersion('bash: nvcc: command not found')).toBeNull();
  });

  it('cmake --version', () => {
    expect(p.parseCmakeVersion(fixture('cmake-version'))).toBe('3.25.1');
    expect(p.parseCmakeVersion('cmake3 version 3.26.5\n')).toBe('3.26.5');
    expect(p.parseCmakeVersion('CMake suite maintained by Kitware')).toBeNull();
  });

  it('python3 --version', () => {
    expect(p.parsePythonVersion(fixture('python3-version'))).toBe('3.11.2');
    expect(p.parsePythonVersion('Python 3.13.0rc2\n')).toBe('3.13.0');
    expect(p.parsePythonVersion('python3: command not found')).toBeNull();
  });

  it('pip --version (not the python version at the end)', () => {
    expect(p.parsePipVersion(fixture('pip-version'))).toBe('23.0.1');
    expect(p.parsePipVersion('pip 24.0 from /home/u/.venv/lib/python3.12/site-packages/pip (python 3.12)\n')).toBe(
      '24.0',
    );
    expect(p.parsePipVersion('/usr/bin/python3: No module named pip\n')).toBeNull();
  });

  it('git --version', () => {
    expect(p.parseGitVersion(fixture('git-version'))).toBe('2.39.5');
    expect(p.parseGitVersion('git version 2.39.3 (Apple Git-146)\n')).toBe('2.39.3');
  });

  it('gcc -dumpfullversion', () => {
    expect(p.parseVersion(fixture('gcc-dumpfullversion'))).toBe('12.2.0');
  });

  it('node --version', () => {
    expect(p.parseNodeVersion(fixture('node-version'))).toBe('20.20.2');
    expect(p.parseNodeVersion('v22.11.0')).toBe('22.11.0');
    expect(p.parseNodeVersion('')).toBeNull();
  });

  it('parseVersion takes the first dotted number, not a part of a longer one', () => {
    expect(p.parseVersion('tool 1.2.3.4 build 7')).toBe('1.2.3');
    expect(p.parseVersion('v10.0')).toBe('10.0');
    expect(p.parseVersion('build 7')).toBeNull();
    expect(p.parseVersion('x11.22')).toBe('11.22');
  });
});

describe('normalizeArch', () => {
  it.each([
    ['x64', 'x86_64'],
    ['arm64', 'aarch64'],
    ['ia32', 'i686'],
    ['riscv64', 'riscv64'],
  ])('%s → %s', (from, to) => {
    expect(p.normalizeArch(from)).toBe(to);
  });
});
