/**
 * `com.docker.network.bridge.trusted_host_interfaces` (Docker 28): colon-separated host
 * interfaces that, like the bridge itself, may reach the network's published container
 * ports by address.
 */
import { InvalidArgument } from '../../src/util/errors.js';
import type { NetworkInfo } from '../../src/contracts/driver.js';

export const OPT_TRUSTED_HOST_INTERFACES = 'com.docker.network.bridge.trusted_host_interfaces';

const IFNAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,14}$/;

export function parseTrustedInterfaces(net: NetworkInfo): string[] {
  const names = (net.options[OPT_TRUSTED_HOST_INTERFACES] ?? '').split(':').filter(Boolean);
  for (const name of names) {
    if (!IFNAME.test(name)) {
      throw new InvalidArgument(`invalid value for ${OPT_TRUSTED_HOST_INTERFACES}: "${name}" is not an interface name`);
    }
  }
  return [...new Set(names)];
}
