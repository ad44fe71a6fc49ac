import type { DraftStep } from './steps.js';

/** Install prefixes that are the system's, not a setup's own: other software lives there too. */
const SYSTEM = new Set(['/usr', '/usr/local', '/opt', '/']);

/**
 * The notes' install prefix: the one folder their `make PREFIX=… install`, a CMake build's install and
 * `CMAKE_INSTALL_PREFIX` name (undefined when they name none, several, or a system folder).
 */
export function installPrefix(steps: readonly DraftStep[]): string | undefined {
  const found = new Set<string>();
  for (const s of steps) {
    if (s.kind === 'make' && s.targets.includes('install') && s.vars.PREFIX) found.add(s.vars.PREFIX);
    if (s.kind === 'cmake') {
      for (const p of s.prefixes ?? []) found.add(p);
      if (s.defines.CMAKE_INSTALL_PREFIX) found.add(s.defines.CMAKE_INSTALL_PREFIX);
    }
  }
  const [only, ...more] = [...found].map((p) => p.replace(/\/+$/, ''));
  return only && !more.length && only.startsWith('/') && !SYSTEM.has(only) ? only : undefined;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** Fields of a draft step that are bookkeeping, not what the step does. */
const OWN = new Set(['kind', 'lines', 'notes', 'paragraph', 'section', 'prefixes']);

/**
 * The notes' install prefix becomes setup's (`{{ prefix }}`) wherever a step names it — in paths, `PATH`
 * entries, defines and run lines — so the draft installs where the bundled recipes and `prefix-env` look, and
 * `--prefix` puts it anywhere. A CMake step's `CMAKE_INSTALL_PREFIX` of it goes: the kind sets that itself.
 */
export function usePrefix(steps: DraftStep[], prefix: string): void {
  const at = new RegExp(`(?<![\\w./-])${escape(prefix)}(?=/|:|\\s|$)`, 'g');
  const swap = (v: unknown): unknown => {
    if (typeof v === 'string') return v.replace(at, '{{ prefix }}');
    if (Array.isArray(v)) return v.map(swap);
    if (v && typeof v === 'object')
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, swap(x)]));
    return v;
  };
  for (const s of steps) {
    const r = s as unknown as Record<string, unknown>;
    for (const k of Object.keys(r)) if (!OWN.has(k)) r[k] = swap(r[k]);
    if (s.kind === 'cmake' && s.defines.CMAKE_INSTALL_PREFIX === '{{ prefix }}') delete s.defines.CMAKE_INSTALL_PREFIX;
  }
}
