/**
 * The null driver (network `none`): the sandbox gets its own namespace with loopback
 * only. The sandbox brings lo up; the driver has nothing to add.
 */
import { PassiveDriver } from '../passive/passive.js';

export class NullDriver extends PassiveDriver {
  readonly name = 'null';
}
