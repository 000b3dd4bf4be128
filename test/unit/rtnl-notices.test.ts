/** rtnetlink notifications as the monitor thread posts them: routes, addresses, links, as the kernel writes them. */
import { AttrStream, formatMessage, rt } from 'netlink';
import { describe, expect, it } from 'vitest';
import { parseNotices } from '../../src/kernel/rtnl-notices.js';

const RTM_NEWLINK = 16;
const RTM_DELLINK = 17;
const RTM_NEWADDR = 20;
const RTM_NEWROUTE = 24;

function datagram(...msgs: [number, (o: AttrStream) => void][]): Buffer {
  return Buffer.concat(msgs.flatMap(([type, format]) => {
    const body = new AttrStream();
    format(body);
    const msg = Buffer.concat(formatMessage({ type, flags: 0, seq: 0, port: 0, data: Buffer.concat(body.bufs) }));
    return [msg, Buffer.alloc((4 - (msg.length % 4)) % 4)]; // each message starts 4-byte aligned, as the kernel sends them
  }));
}

describe('parseNotices', () => {
  it('reads every message of a datagram: route with table and device, address with index, link name', () => {
    const d = datagram(
      [RTM_NEWROUTE, (o) => rt.formatRouteMessage({ kind: 'route', data: { family: 2, dstLen: 24, table: 254 },
        attrs: { dst: Buffer.from([10, 9, 8, 0]), oif: 7, table: 254 } }, o)],
      [RTM_NEWROUTE, (o) => rt.formatRouteMessage({ kind: 'route', data: { family: 10, dstLen: 0, table: 254 }, attrs: {} }, o)],
      [RTM_NEWADDR, (o) => rt.formatAddressMessage({ kind: 'address', data: { family: 2, prefixlen: 16, index: 3 },
        attrs: { address: Buffer.from([192, 168, 1, 5]) } }, o)],
      [RTM_NEWLINK, (o) => rt.formatLinkMessage({ kind: 'link', data: { index: 7 }, attrs: { ifname: 'tun0' } }, o)],
      [RTM_DELLINK, (o) => rt.formatLinkMessage({ kind: 'link', data: { index: 8 }, attrs: { ifname: 'gone0' } }, o)],
    );
    expect(parseNotices(d)).toEqual([
      { kind: 'route', prefix: '10.9.8.0/24', table: 254, oif: 7 },
      { kind: 'route', prefix: '::/0', table: 254 },
      { kind: 'address', prefix: '192.168.1.5/16', index: 3 },
      { kind: 'link', index: 7, name: 'tun0', gone: false },
      { kind: 'link', index: 8, name: 'gone0', gone: true },
    ]);
  });

  it('leaves out the AF_BRIDGE link messages that share the link group', () => {
    const d = datagram([RTM_NEWLINK, (o) => rt.formatLinkMessage({ kind: 'link', data: { family: 7, index: 4 }, attrs: { ifname: 'veth1' } }, o)]);
    expect(parseNotices(d)).toEqual([]);
  });

  it('throws on a datagram that is not rtnetlink (the monitor then tells a loss)', () => {
    expect(() => parseNotices(Buffer.from([1, 2, 3, 4, 5, 6, 7]))).toThrow();
  });
});
