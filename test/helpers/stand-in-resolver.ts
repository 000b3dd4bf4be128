/** A stand-in upstream DNS server for tests, as a script for `node -e`: `names` (outside.test) A `answer`, NXDOMAIN for the rest. */
export const resolverScript = (ip: string, answer: string, names = ['outside.test']): string => `
const dgram = require('dgram'), pkt = require('dns-packet');
const s = dgram.createSocket('udp4');
s.on('message', (m, r) => {
  let q; try { q = pkt.decode(m); } catch { return; }
  const name = q.questions[0]?.name;
  const hit = ${JSON.stringify(names)}.includes(name) && q.questions[0].type === 'A';
  s.send(pkt.encode({ id: q.id, type: 'response', flags: pkt.RECURSION_AVAILABLE | (hit ? 0 : 3), questions: q.questions,
    answers: hit ? [{ type: 'A', name, ttl: 60, data: '${answer}' }] : [] }), r.port, r.address);
});
s.bind(53, '${ip}', () => console.log('ready'));
`;
