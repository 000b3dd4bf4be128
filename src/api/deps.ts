/** What the route handlers work with, handed in by the composition root. */
import type { Controller } from '../controller/controller.js';
import type { SubnetConflict } from '../controller/subnet-conflicts.js';
import type { ContainerService } from '../engine/containers.js';
import type { ContainerEvents } from '../engine/container-events.js';
import type { ExecRegistry } from '../engine/exec.js';
import type { CniServer } from './cni.js';
import type { Images } from './image-resolver.js';
import type { LiveExplainer } from '../contracts/explain.js';

export interface ApiDeps {
  ctl: Controller;
  containers: ContainerService;
  execs: ExecRegistry;
  images: Images;
  /** For /info. */
  info: { root: string; firewall: string };
  /** GET /events streams its bus; the API publishes the container steps it does itself (attach). */
  events: ContainerEvents;
  /** This host's WireGuard mesh (encrypted overlays): /info, POST /weft/wireguard/rotate-keys. */
  encryption?: { describe(): object; rotateKeys(): Promise<string> };
  /** Host routes and addresses overlapping a network's subnet (network inspect's Status.WeftConflicts). */
  conflicts?: { of(networkId: string): SubnetConflict[] };
  /** POST /weft/cni/:plugin: weft's CNI plugins served in-process. */
  cni?: CniServer;
  /** POST /weft/firewall/reload: re-creates weft's firewall rules. */
  reloadFirewall(): Promise<void>;
  /** GET /weft/network/explain: reads the live ruleset and routes of the daemon's namespace. */
  explainer?: LiveExplainer;
}
