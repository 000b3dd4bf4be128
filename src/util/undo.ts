/**
 * A stack of compensating actions: each step that changes something pushes its inverse,
 * and on failure they run newest first. Failures while undoing are logged, not thrown,
 * so one stuck step does not stop the rest of the rollback.
 */
import type pino from 'pino';

export class Undo {
  private readonly steps: (() => unknown)[] = [];
  constructor(private readonly logger: pino.Logger) {}

  push(step: () => unknown): void {
    this.steps.push(step);
  }

  async run(): Promise<void> {
    while (this.steps.length) {
      const step = this.steps.pop()!;
      try {
        await step();
      } catch (err) {
        this.logger.error({ err }, 'rollback step failed');
      }
    }
  }
}
