import { FACTS } from '../facts/registry.js';

/** Names under `dirs.` in templates. */
export const DIR_NAMES = ['home', 'src', 'cache', 'state', 'config'] as const;

/** Names under `mirror.` in templates (always defined: the default profile fills what a profile lacks). */
export const MIRROR_NAMES = [
  'name',
  'pip.index-url',
  'pip.extra-index-url',
  'pip.trusted-host',
  'conda.channels',
  'conda.default_channels',
  'conda.custom_channels',
  'conda.show_channel_urls',
  'go.proxy',
  'go.sumdb',
] as const;

/** Every template name that is not a recipe variable. */
export const BUILTIN_NAMES: ReadonlySet<string> = new Set([
  'prefix',
  ...DIR_NAMES.map((d) => `dirs.${d}`),
  ...FACTS.map((f) => `host.${f.id}`),
  ...MIRROR_NAMES.map((m) => `mirror.${m}`),
]);

/** `secrets.NAME`: read from the environment variable NAME (or the secrets file), never shown. */
export const SECRET_NAME = /^secrets\.[A-Za-z_][A-Za-z0-9_]*$/;

/** Is `name` a built-in template name? */
export function isBuiltin(name: string): boolean {
  return BUILTIN_NAMES.has(name) || SECRET_NAME.test(name);
}
