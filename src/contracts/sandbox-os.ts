/**
 * The kernel work the network controller needs for sandboxes, behind one interface so the
 * controller's logic runs against a fake in unit tests. Drivers do the per-network kernel
 * work (links, bridges, rules); this is only what belongs to the sandbox itself and to
 * picking address pools.
 */
export interface SandboxGateways {
  gateway4?: string;
  gateway6?: string;
}

export interface SandboxOs {
  /**
   * Subnets routed in the host namespace's main table (default routes and IPv6 link-local
   * left out): an automatically picked address pool must not overlap them.
   */
  hostRoutes(): Promise<string[]>;
  /** A fresh network namespace pinned at nsPath (replacing a stale mount), loopback up. */
  createNamespace(nsPath: string): Promise<void>;
  /** Unpin and remove the namespace at nsPath; nothing if it is not there. */
  deleteNamespace(nsPath: string): void;
  /** Whether a namespace is pinned at nsPath. */
  isPinned(nsPath: string): boolean;
  /** Pin the network namespace of a running process at nsPath (after a daemon restart). */
  pinProcessNamespace(pid: number, nsPath: string): void;
  /** Default route(s) of the namespace at nsPath through interface ifName. */
  setDefaultRoute(nsPath: string, ifName: string, gateways: SandboxGateways): Promise<void>;
  /** Write sysctls (paths under /proc/sys) in the namespace at nsPath. */
  setSysctls(nsPath: string, sysctls: { key: string; value: string }[]): void;
}
