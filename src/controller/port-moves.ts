/**
 * Moving a sandbox's published ports from one of its endpoints to another, to none, or from
 * none (its networks changed while it runs). Intent first: both records are committed with
 * their new bindings before any kernel work, so a restart publishes exactly what the records
 * say (restoreNetwork programs the new holder, sweepStrays drops what the old one had). Then
 * the old endpoint's ports are revoked before the new one's are bound, as they may be the
 * same host ports. A failure puts the records and the old endpoint's ports back.
 */
import type { PortBinding } from '../contracts/firewall.js';
import { NotFound } from '../util/errors.js';
import { failpoint } from '../util/failpoint.js';
import type { EndpointRecord } from './model.js';
import { EP, SB, type ControllerState } from './state.js';

export interface PortMove {
  /** The network whose endpoint gives up its ports; absent: none has them. */
  from?: string;
  /** The network whose endpoint takes them; absent: they are withdrawn. */
  to?: string;
  bindings: PortBinding[];
}

export function movePorts(s: ControllerState, sandboxId: string, move: PortMove): Promise<void> {
  return s.locks.run(SB + sandboxId, async () => {
    const on = (networkId: string | undefined) => {
      if (!networkId) return undefined;
      const ep = s.sandboxEndpoints(sandboxId).find((e) => e.networkId === networkId);
      if (!ep) throw new NotFound(`container ${sandboxId.slice(0, 12)} is not connected to network ${networkId}`);
      return ep;
    };
    const from = on(move.from);
    const to = on(move.to);
    const before = from?.portBindings ?? [];
    await record(s, from, [], to, move.bindings);
    failpoint('endpoint.ports.recorded');
    try {
      if (from) await revoke(s, { ...from, portBindings: before });
      failpoint('endpoint.ports.revoked');
      if (to) await program(s, to);
    } catch (err) {
      if (to) await revoke(s, to).catch((e) => s.logger.warn({ err: e, endpoint: to.id }, 'revoking the moved ports failed'));
      await record(s, from, before, to, []);
      if (from) await program(s, from).catch((e) => s.logger.error({ err: e, endpoint: from.id }, 'ports not restored'));
      throw err;
    }
    s.logger.info({ sandbox: sandboxId, from: from?.id, to: to?.id }, 'published ports moved');
  });
}

type Side = EndpointRecord | undefined;

async function record(s: ControllerState, from: Side, fromBindings: PortBinding[], to: Side, toBindings: PortBinding[]): Promise<void> {
  const tx = s.store.begin();
  for (const [ep, bindings] of [[from, fromBindings], [to, toBindings]] as const) {
    if (!ep) continue;
    ep.portBindings = [...bindings];
    tx.put(EP + ep.id, ep);
  }
  await tx.commit();
}

function driverFor(s: ControllerState, ep: EndpointRecord) {
  const n = s.networks.get(ep.networkId);
  if (!n) throw new NotFound(`network ${ep.networkId} not found`);
  return { n, driver: s.driverOf(n) };
}

async function revoke(s: ControllerState, ep: EndpointRecord): Promise<void> {
  const { n, driver } = driverFor(s, ep);
  await driver.revokeExternalConnectivity(n, ep);
}

async function program(s: ControllerState, ep: EndpointRecord): Promise<void> {
  const { n, driver } = driverFor(s, ep);
  await driver.programExternalConnectivity(n, ep);
}
