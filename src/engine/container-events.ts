/**
 * Container events as dockerd logs them (daemon.LogContainerEventWithAttributes): the actor
 * is the container, its attributes its labels, image and name plus what the action adds
 * (exitCode, signal, oldName, execID). Each is published after the step it reports is recorded.
 */
import os from 'node:os';
import type { EventBus } from '../util/event-bus.js';
import type { ContainerRecord } from './records.js';

export class ContainerEvents {
  constructor(readonly bus: EventBus) {}

  log(c: ContainerRecord, action: string, extra: { [k: string]: string } = {}): void {
    this.bus.publish('container', action, { ID: c.id, Attributes: { ...c.labels, image: c.image, name: c.name, ...extra } });
  }

  /** die: the exit code and how many whole seconds the process ran. */
  died(c: ContainerRecord, exitCode: number): void {
    const ran = Math.max(0, Math.floor((Date.parse(c.finishedAt) - Date.parse(c.startedAt)) / 1000));
    this.log(c, 'die', { exitCode: String(exitCode), execDuration: String(Number.isNaN(ran) ? 0 : ran) });
  }

  /** kill: the signal by number, as dockerd reports it. */
  killed(c: ContainerRecord, signal: NodeJS.Signals): void {
    this.log(c, 'kill', { signal: String(os.constants.signals[signal] ?? signal) });
  }
}
