/**
 * Network option keys (`-o key=value`) with Docker's names: part of the API, read by the
 * driver that owns them and by the layers that must recognise a network by them.
 */
export const OPT_BRIDGE_NAME = 'com.docker.network.bridge.name';
export const OPT_ICC = 'com.docker.network.bridge.enable_icc';
export const OPT_MASQUERADE = 'com.docker.network.bridge.enable_ip_masquerade';
export const OPT_MTU = 'com.docker.network.driver.mtu';
export const OPT_HOST_BINDING_IPV4 = 'com.docker.network.bridge.host_binding_ipv4';
/** weft extension: set on the predefined `bridge` network only (Docker's default-bridge behaviour). */
export const OPT_DEFAULT_BRIDGE = 'com.docker.network.bridge.default_bridge';
/** Endpoint driver option: the interface's name inside the container (instead of ethN). */
export const OPT_ENDPOINT_IFNAME = 'com.docker.network.endpoint.ifname';
export const OPT_GATEWAY_MODE_IPV4 = 'com.docker.network.bridge.gateway_mode_ipv4';
export const OPT_GATEWAY_MODE_IPV6 = 'com.docker.network.bridge.gateway_mode_ipv6';
/** SNAT source address of a bridge network's outgoing IPv4 traffic (instead of masquerading). */
export const OPT_HOST_IPV4 = 'com.docker.network.host_ipv4';
/** SNAT source address of a bridge network's outgoing IPv6 traffic. */
export const OPT_HOST_IPV6 = 'com.docker.network.host_ipv6';
/** weft extension: a container that leaves and comes back under its name gets its old dynamic address while it is free. */
export const OPT_STICKY_IPS = 'weft.sticky-ips';
