/**
 * The host driver: the container shares the daemon's network namespace, so there is
 * nothing to plumb. One predefined network named `host` uses it.
 */
import type { DriverCapability, JoinResult, NetworkDriver } from '../../src/contracts/driver.js';

export class HostDriver implements NetworkDriver {
  readonly name = 'host';
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
