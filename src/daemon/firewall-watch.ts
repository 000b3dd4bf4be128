/**
 * Re-creates weft's rules when someone flushed them (nft flush ruleset, iptables -F): on
 * demand (POST /weft/firewall/reload) and by a cheap periodic check.
 */
import type pino from 'pino';
import type { FirewallBackend } from '../contracts/firewall.js';
import type { Controller } from '../controller/controller.js';

export interface FirewallWatch {
  reload(): Promise<void>;
  stop(): void;
}

/** alsoRestore: what else lives in weft's table (the CNI networks the daemon serves). */
export function watchFirewall(
  firewall: FirewallBackend, controller: Controller, logger: pino.Logger, seconds: number, alsoRestore: () => Promise<void>,
): FirewallWatch {
  const reload = async () => {
    await firewall.init();
    await controller.restoreNetworks();
    await alsoRestore();
    logger.info('firewall rules re-created');
  };
  let checking = false;
  const check = () => {
    if (checking) return;
    checking = true;
    firewall.healthy()
      .then(async (ok) => {
        if (!ok) {
          logger.warn('weft firewall rules are missing (ruleset flushed?); re-creating them');
          await reload();
        }
      })
      .catch((err) => logger.error({ err }, 'firewall check failed'))
      .finally(() => { checking = false; });
  };
  const timer = seconds > 0 ? setInterval(check, seconds * 1000) : undefined;
  timer?.unref();
  return { reload, stop: () => { if (timer) clearInterval(timer); } };
}
