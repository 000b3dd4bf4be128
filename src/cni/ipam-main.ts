#!/usr/bin/env node
/**
 * weft-ipam: weft's default IPAM as a CNI IPAM plugin for any interface plugin; state in
 * ipam.dataDir (default /var/lib/weft-cni/ipam), locked per operation.
 */
import { runPlugin, readStdin } from './invocation.js';
import { handlers } from './ipam-plugin.js';

process.exitCode = await runPlugin(handlers, readStdin());
