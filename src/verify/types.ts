import type * as z from '../util/zod.js';
import type { StepEnv } from '../steps/types.js';
import type { ShellCommand } from '../lang/template.js';
import { mapStrings } from '../lang/template.js';

/** How long a verify item's command, import or program run may take before doctor says it got no answer. */
export const VERIFY_TIMEOUT_MS = 15_000;

/** What a verify item found: ok, warn (works, but look) or fail — with a one-line fix for the last two. */
export interface VerifyResult {
  status: 'ok' | 'warn' | 'fail';
  message: string;
  fix?: string;
}

/** Renders templates in a verify item while it is resolved. */
export interface VerifyTemplater {
  /** A string with values inserted as they are. */
  str(s: string): string;
  /** A shell command: every inserted value (a leading ~/ expanded) becomes an environment variable the script refers to. */
  sh(s: string): ShellCommand;
}

/**
 * One form of `verify:` item (`command:`, `file:`, `python:`…) as its file writes it: its keys, how to label
 * it and how to check it. `defineVerify` fills in what is left out; the result is registered in verify/registry.ts.
 */
export interface VerifyFormDef<Item = Record<string, unknown>> {
  /** The key that names the form in an item, e.g. `file`. */
  kind: string;
  /** Its keys (the form's own key first), with descriptions and examples for the JSON Schema and docs. */
  shape: Record<string, z.ZodType>;
  /** Renders templates in the item (default: every string, values inserted as they are). */
  resolve?(item: Record<string, unknown>, t: VerifyTemplater): Record<string, unknown>;
  /** What doctor calls the item when it has no `name`. */
  label(item: Item): string;
  /** Checks the item, rendered; `fix` is the default fix (`setup run <recipe>` or the item's own). Never changes anything. */
  run(item: Item, env: StepEnv, fix: string): Promise<VerifyResult>;
}

/** A verify form with its defaults filled in (see defineVerify). */
export interface VerifyForm<Item = Record<string, unknown>> extends VerifyFormDef<Item> {
  resolve(item: Record<string, unknown>, t: VerifyTemplater): Record<string, unknown>;
}

/** A verify form, its defaults in one place: templates rendered in every string of the item. */
export function defineVerify<Item>(f: VerifyFormDef<Item>): VerifyForm<Item> {
  return { resolve: (item, t) => mapStrings(item, (s) => t.str(s)), ...f };
}
