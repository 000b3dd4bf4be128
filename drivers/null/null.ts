/**
 * The null driver (network `none`): the sandbox gets its own namespace with loopback
 * only. The sandbox brings lo up; the driver has nothing to add.
 */
import type { DriverCapability, JoinResult, NetworkDriver } from '../../src/contracts/driver.js';

export class NullDriver implements NetworkDriver {
  readonly name = 'null';
  readonly capability: DriverCapability = { scope: 'local', needsIpam: false, userCreatable: false };
  validateNetwork(): void {}
  async createNetwork(): Promise<void> {}
  async deleteNetwork(): Promise<void> {}
  async createEndpoint(): Promise<void> {}
  async deleteEndpoint(): Promise<void> {}
  async join(): Promise<JoinResult> { return {}; }
  async leave(): Promise<void> {}
  async programExternalConnectivity(): Promise<void> {}
  async revokeExternalConnectivity(): Promise<void> {}
  async restoreNetwork(): Promise<void> {}
}
