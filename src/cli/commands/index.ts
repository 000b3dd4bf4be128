/**
 * Every weft command, registered on the program. Container commands exist at the top level
 * (`weft run`) and under `weft container` (docker's management commands); under `container`,
 * `ls` is the name of ps and inspect is container-only.
 */
import type { Command } from 'commander';
import type { Ctx } from '../context.js';
import { registerContainerInspect } from './container-inspect.js';
import { registerEvents } from './events.js';
import { registerExec } from './exec.js';
import { registerFirewall, registerInspect } from './inspect.js';
import { registerLifecycle } from './lifecycle.js';
import { registerLogs } from './logs.js';
import { registerNetworkConnect } from './network-connect.js';
import { registerNetworkCreate } from './network-create.js';
import { registerNetworkExplain } from './network-explain.js';
import { registerNetworkInspect, registerNetworkRm } from './network-inspect.js';
import { registerNetworkLs } from './network-ls.js';
import { registerNetworkPrune } from './network-prune.js';
import { registerNetworkRenumber } from './network-renumber.js';
import { registerNetworkRotateKeys } from './network-rotate-keys.js';
import { registerPort } from './port.js';
import { registerPs } from './ps.js';
import { registerRunAndCreate } from './run.js';
import { registerTop } from './top.js';
import { registerVersion } from './version.js';
import { registerWait } from './wait.js';

export function registerContainerCommands(parent: Command, ctx: Ctx, group = false): void {
  registerRunAndCreate(parent, ctx, group ? 'container ' : '');
  registerLifecycle(parent, ctx);
  registerPs(parent, ctx, group);
  registerLogs(parent, ctx);
  registerExec(parent, ctx);
  registerPort(parent, ctx);
  registerWait(parent, ctx);
  if (group) registerContainerInspect(parent, ctx);
}

export function registerNetworkCommands(program: Command, ctx: Ctx): void {
  const network = program.command('network').description('Manage networks');
  registerNetworkCreate(network, ctx);
  registerNetworkLs(network, ctx);
  registerNetworkInspect(network, ctx);
  registerNetworkRm(network, ctx);
  registerNetworkConnect(network, ctx);
  registerNetworkPrune(network, ctx);
  registerNetworkRotateKeys(network, ctx);
  registerNetworkRenumber(network, ctx);
  registerNetworkExplain(network, ctx);
}

export function registerSystemCommands(program: Command, ctx: Ctx): void {
  registerInspect(program, ctx);
  registerFirewall(program, ctx);
  registerVersion(program, ctx);
  registerEvents(program, ctx);
  registerTop(program, ctx);
}
