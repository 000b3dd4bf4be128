/** The cluster's instruments: overlay peer programming and the etcd watch's delay. */
import client from 'prom-client';
import { registry } from './registry.js';

/**
 * From the moment the etcd watch delivered a remote endpoint's change to the moment its FDB
 * entry and neighbours are written on the VXLAN device (add) or removed (remove); includes the
 * wait behind other kernel work on the same network.
 */
export const overlayPeerProgramming = new client.Histogram({
  name: 'weft_overlay_fdb_programming_seconds',
  help: 'Time from the etcd watch event of a remote endpoint to its FDB/neighbour entries programmed, by change (add, remove)',
  labelNames: ['change'] as const,
  buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
  registers: [registry],
});

/**
 * etcd stamps no time on a change, and hosts' clocks differ: the lag is measured on this
 * host's own writes, from sending the write to this host's watch delivering its event (the
 * same mod_revision), on one clock. It covers etcd's commit and the watch stream's delay.
 */
export const etcdWatchLag = new client.Histogram({
  name: 'weft_etcd_watch_lag_seconds',
  help: "Time from this host's write to etcd until its own watch delivered the change (matched by revision)",
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  registers: [registry],
});
