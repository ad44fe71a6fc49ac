import type { StepEnv } from '../types.js';

/** Where pip looks when setup passes it no `--index-url`: what its own config and PIP_* variables say. */
export interface OwnIndexes {
  /** pip's `index-url` from its config or PIP_INDEX_URL; undefined: pip's built-in https://pypi.org/simple. */
  indexUrl?: string;
  /** pip's `extra-index-url`s from its config or PIP_EXTRA_INDEX_URL. */
  extra: string[];
}

/** A value as `pip config list` prints it (Python's repr of a str) back to its text. */
function unrepr(v: string): string {
  const q = v[0];
  if ((q !== "'" && q !== '"') || !v.endsWith(q)) return v;
  return v.slice(1, -1).replace(/\\(n|t|\\|'|")/g, (_, c: string) => (c === 'n' ? '\n' : c === 't' ? '\t' : c));
}

/**
 * The index options of `pip config list` output (every config file pip reads, PIP_CONFIG_FILE's included,
 * and the PIP_* variables as `:env:.name`), by pip's own order for `pip install`: a variable over the
 * `[install]` section over `[global]`. Pure.
 */
export function parsePipConfigList(stdout: string): OwnIndexes {
  const values = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const m = /^([^=\s]*)\.([a-z-]+)=(.*)$/.exec(line.trim());
    if (m) values.set(`${m[1]}.${m[2]}`, unrepr(m[3]!));
  }
  const pick = (name: string): string | undefined =>
    [':env:', 'install', 'global'].map((s) => values.get(`${s}.${name}`)).find((v) => v !== undefined);
  const indexUrl = pick('index-url')?.trim() || undefined;
  return { indexUrl, extra: (pick('extra-index-url') ?? '').split(/\s+/).filter(Boolean) };
}

/**
 * The indexes pip itself would use for a step with no `--index-url` of setup's (`<python> -m pip config
 * list` in the step's environment, one quick process, memoized per interpreter and env). A pip too old to
 * answer, or one that fails: the variables alone.
 */
export function ownIndexes(exe: string, env: StepEnv, stepEnv: Record<string, string>): Promise<OwnIndexes> {
  return env.memo.get(`pip:own-index:${exe}:${JSON.stringify(stepEnv)}`, async () => {
    const r = await env.runner.run({
      argv: [exe, '-m', 'pip', 'config', 'list'],
      env: { ...stepEnv, PIP_DISABLE_PIP_VERSION_CHECK: '1' },
      cwd: env.paths.home,
      timeoutMs: 30_000,
    });
    if (r.exitCode === 0) return parsePipConfigList(r.stdout);
    const vars = { ...env.processEnv, ...stepEnv };
    return {
      indexUrl: vars['PIP_INDEX_URL'] || undefined,
      extra: (vars['PIP_EXTRA_INDEX_URL'] ?? '').split(/\s+/).filter(Boolean),
    };
  });
}
