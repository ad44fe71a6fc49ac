/**
 * Per-invocation memo for expensive reads that many checks share (dpkg's status file, an interpreter's
 * installed distributions). The executor clears it after each step runs, since a step changes the host.
 */
export class Memo {
  private readonly values = new Map<string, Promise<unknown>>();

  get<T>(key: string, compute: () => Promise<T>): Promise<T> {
    let v = this.values.get(key) as Promise<T> | undefined;
    if (!v) {
      v = compute();
      this.values.set(key, v);
      v.catch(() => this.values.delete(key));
    }
    return v;
  }

  clear(): void {
    this.values.clear();
  }
}
