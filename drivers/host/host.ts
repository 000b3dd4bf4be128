/**
 * The host driver: the container shares the daemon's network namespace, so there is
 * nothing to plumb. One predefined network named `host` uses it.
 */
import { PassiveDriver } from '../passive/passive.js';

export class HostDriver extends PassiveDriver {
  readonly name = 'host';
}
