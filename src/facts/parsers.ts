/** Pure parsers of the outputs that facts are read from; each is tested on captured outputs. */

/** Parses /etc/os-release (KEY=value lines, values optionally quoted). */
export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2]!;
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) {
      v = v.slice(1, -1).replace(/\\(["$`\\])/g, '$1');
    }
    out[m[1]!] = v;
  }
  return out;
}

/** The first dotted version number (`3.11.7`, `12.2.0`, `3.25`) in a tool's output, or null. */
export function parseVersion(text: string): string | null {
  const m = /(?:^|[^\d.])(\d+\.\d+(?:\.\d+)?)/.exec(text);
  return m ? m[1]! : null;
}

/** `git version 2.39.5` → `2.39.5`. */
export const parseGitVersion = (text: string): string | null => parseVersion(text);

/** `Python 3.11.7` → `3.11.7`. */
export const parsePythonVersion = (text: string): string | null =>
  /Python\s+(\d+\.\d+(?:\.\d+)?)/.exec(text)?.[1] ?? null;

/** `pip 23.2.1 from … (python 3.11)` → `23.2.1`. */
export const parsePipVersion = (text: string): string | null => /^pip\s+(\d+(?:\.\d+)*)/m.exec(text)?.[1] ?? null;

/** `cmake version 3.25.1` → `3.25.1` (EPEL's cmake3 says `cmake3 version 3.20.2`). */
export const parseCmakeVersion = (text: string): string | null =>
  /cmake\d*\s+version\s+(\d+\.\d+(?:\.\d+)?)/.exec(text)?.[1] ?? null;

/** `v20.20.2` → `20.20.2`. */
export const parseNodeVersion = (text: string): string | null => /v?(\d+\.\d+\.\d+)/.exec(text.trim())?.[1] ?? null;

/** nvcc's `Cuda compilation tools, release 12.2, V12.2.140` → `12.2`. */
export const parseNvccVersion = (text: string): string | null => /release\s+(\d+\.\d+)/.exec(text)?.[1] ?? null;

/** One GPU as nvidia-smi reports it. */
export interface Gpu {
  name: string;
  driver: string;
  memoryMiB: number | null;
}

/** Parses `nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader,nounits`. */
export function parseNvidiaSmiQuery(text: string): Gpu[] {
  const gpus: Gpu[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const [name, driver, mem] = line.split(',').map((s) => s.trim());
    if (!name || /^(name|No devices|NVIDIA-SMI has failed)/i.test(name)) continue;
    // Error text (`Failed to initialize NVML: …`) is no GPU: a GPU line carries a dotted driver version.
    if (!/^\d+\.\d+/.test(driver ?? '')) continue;
    const n = Number.parseInt(mem ?? '', 10);
    gpus.push({ name, driver: driver ?? '', memoryMiB: Number.isFinite(n) ? n : null });
  }
  return gpus;
}

/** The `CUDA Version: 12.4` the driver supports, from plain `nvidia-smi` output. */
export const parseNvidiaSmiCuda = (text: string): string | null => /CUDA Version:\s*(\d+\.\d+)/.exec(text)?.[1] ?? null;

/** Node's `os.arch()` names → the names people write in recipes (`uname -m`). */
export function normalizeArch(nodeArch: string): string {
  return (
    (
      { x64: 'x86_64', arm64: 'aarch64', ia32: 'i686', arm: 'armv7l', ppc64: 'ppc64le', s390x: 's390x' } as Record<
        string,
        string
      >
    )[nodeArch] ?? nodeArch
  );
}
