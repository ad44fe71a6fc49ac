import type { VarType } from '../lang/var-types.js';
import type { Loc } from '../util/errors.js';
import type { WhenMatcher } from '../lang/when.js';
import type { SourceDoc, YamlPath } from '../lang/source.js';
import type { StepKind } from '../steps/types.js';
import type { VerifyForm } from '../verify/types.js';

/** Where a recipe folder came from; later origins override earlier ones for the same recipe name. */
export type Origin = 'bundled' | 'user' | 'config' | 'flag';

/** A step as written, validated: its kind, the value under the kind key, and its common keys (unrendered). */
export interface RawStep {
  index: number;
  kind: string;
  /** The kind key as written when it is an earlier name of `kind` (`apt` for `packages`). */
  alias?: string;
  /** The kind named by `kind`, looked up once by the loader. */
  impl: StepKind<unknown, unknown>;
  spec: unknown;
  common: {
    name?: string;
    when?: Record<string, WhenMatcher>;
    check?: string | string[];
    unless?: string | string[];
    creates?: string | string[];
    env?: Record<string, string | number | boolean>;
    cwd?: string;
    timeout?: number | string;
    retries?: number;
    root?: boolean;
    tags?: string[];
  };
  path: YamlPath;
  loc: Loc;
}

/** A `verify:` item as written, validated. */
export interface RawVerify {
  index: number;
  kind: string;
  /** The form named by `kind`, looked up once by the loader. */
  impl: VerifyForm<unknown>;
  item: Record<string, unknown>;
  path: YamlPath;
  loc: Loc;
}

/** A recipe file, validated on its own (cross-recipe rules come after). */
export interface Recipe {
  name: string;
  /** The recipe format it is written in (`format:`, default 1): semantic versioning of the format. */
  format: number;
  description: string;
  requires: string[];
  vars: Record<string, string | number | boolean>;
  /** Declared types of the variables that have one (`vars: { n: { default: 1, type: int } }`). */
  varTypes: Record<string, VarType>;
  steps: RawStep[];
  verify: RawVerify[];
  file: string;
  origin: Origin;
  source: SourceDoc;
  /** Files of recipes with the same name that this one overrides (lower-priority folders). */
  overrides: string[];
}
