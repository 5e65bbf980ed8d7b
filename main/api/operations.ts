import { randomUUID } from 'node:crypto';

/** Long operations by id, so `op.cancel` can reach them from any host. */
export class Operations {
  private readonly running = new Map<string, AbortController>();

  start(): { id: string; signal: AbortSignal; done: () => void } {
    const id = randomUUID();
    const ctl = new AbortController();
    this.running.set(id, ctl);
    return { id, signal: ctl.signal, done: () => this.running.delete(id) };
  }

  cancel(id: string): boolean {
    const ctl = this.running.get(id);
    if (!ctl) return false;
    ctl.abort();
    this.running.delete(id);
    return true;
  }

  cancelAll(): void {
    for (const ctl of this.running.values()) ctl.abort();
    this.running.clear();
  }
}
