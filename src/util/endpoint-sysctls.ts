/**
 * `com.docker.network.endpoint.sysctls`: comma-separated "net.<family>.<group>.IFNAME.<name>=value"
 * settings for one endpoint's interface, IFNAME standing for its name in the container
 * (lower case too, as the docker CLI may send it). dockerd takes only per-interface sysctls
 * of ipv4, ipv6 and mpls.
 */
export const OPT_ENDPOINT_SYSCTLS = 'com.docker.network.endpoint.sysctls';

export interface InterfaceSysctl {
  /** Path under /proc/sys, the interface name filled in. */
  key: string;
  value: string;
}

function entries(option: string): string[] {
  return option.split(',').map((s) => s.trim()).filter(Boolean);
}

/** dockerd's complaint for each setting that is not a per-interface sysctl. */
export function endpointSysctlErrors(option: string): string[] {
  return entries(option).filter((entry) => {
    const parts = entry.split('=')[0].split('.');
    const family = parts[0] === 'net' && ['ipv4', 'ipv6', 'mpls'].includes(parts[1]);
    return parts.length < 5 || !family || !['IFNAME', 'ifname'].includes(parts[3]);
  }).map((entry) => `unrecognised network interface sysctl '${entry}'; represent the network interface in the name as 'IFNAME',`
    + " for example 'net.ipv4.conf.IFNAME.forwarding=1'");
}

/** The settings for interface ifName (the option already checked). */
export function interfaceSysctls(option: string, ifName: string): InterfaceSysctl[] {
  return entries(option).map((entry) => {
    const at = entry.indexOf('=');
    const parts = entry.slice(0, at).split('.');
    parts[3] = ifName;
    return { key: parts.join('/'), value: entry.slice(at + 1) };
  });
}
