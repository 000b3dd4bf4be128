/**
 * Network events (docker events --filter type=network): the actor is the network, its
 * attributes its name and driver ("type") and, for connect and disconnect, the container.
 * Published only once the step's records are committed.
 */
import type { Transaction } from '../contracts/store.js';
import type { NetworkRecord } from './model.js';
import type { ControllerState } from './state.js';

export type NetworkAction = 'create' | 'destroy' | 'connect' | 'disconnect' | 'renumber';

export function publishNetworkEvent(s: ControllerState, n: NetworkRecord, action: NetworkAction, containerId?: string): void {
  const attrs = { name: n.name, type: n.driver, ...(containerId ? { container: containerId } : {}) };
  s.o.events?.publish('network', action, { ID: n.id, Attributes: attrs });
}

/** fn once tx has committed (never if it is abandoned); without tx, the step committed on its own: now. */
export function afterCommit(tx: Transaction | undefined, fn: () => void): void {
  if (!tx) fn();
  else tx.onSettle((committed) => { if (committed) fn(); });
}
