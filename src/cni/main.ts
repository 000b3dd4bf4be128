#!/usr/bin/env node
/**
 * weft-cni: weft's bridge driver as a CNI interface plugin (bridge, veth, addresses,
 * routes, masquerade, port maps), run by a CNI runtime once per operation.
 */
import { runPlugin, readStdin } from './invocation.js';
import { handlers } from './plugin.js';

process.exitCode = await runPlugin(handlers, readStdin());
