/**
 * Base of the drivers that plumb nothing (host, null): every driver call is a no-op, and
 * such networks are predefined only.
 */
import type { DriverCapability, JoinResult, NetworkDriver } from '../../src/contracts/driver.js';

export abstract class PassiveDriver implements NetworkDriver {
  abstract readonly name: string;
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
