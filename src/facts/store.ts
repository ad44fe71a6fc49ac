import type { Runner } from '../util/process.js';
import { FACT_BY_ID, FACTS, type FactEnv, type FactValue } from './registry.js';

/** The facts of this host, gathered lazily, each at most once, concurrently when asked for together. */
export class FactStore {
  private readonly cache = new Map<string, Promise<FactValue>>();
  private readonly env: FactEnv;

  constructor(runner: Runner, processEnv: NodeJS.ProcessEnv, home: string, preset: Record<string, FactValue> = {}) {
    this.env = { runner, env: processEnv, home, get: (id) => this.get(id) };
    for (const [k, v] of Object.entries(preset)) this.cache.set(k, Promise.resolve(v));
  }

  /** One fact's value (gathering it on first use). */
  get(id: string): Promise<FactValue> {
    let v = this.cache.get(id);
    if (!v) {
      const def = FACT_BY_ID.get(id);
      if (!def) throw new Error(`unknown fact ${id}`);
      v = def.gather(this.env).catch(() => null);
      this.cache.set(id, v);
    }
    return v;
  }

  /** The values of several facts, gathered concurrently. */
  async gather(ids: Iterable<string>): Promise<Record<string, FactValue>> {
    const list = [...new Set(ids)];
    const values = await Promise.all(list.map((id) => this.get(id)));
    return Object.fromEntries(list.map((id, i) => [id, values[i]!]));
  }

  /** Every fact (doctor). */
  all(): Promise<Record<string, FactValue>> {
    return this.gather(FACTS.map((f) => f.id));
  }
}
