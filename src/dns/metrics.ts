/** What the DNS server records per query: the query by transport, the answer by rcode. */
import { dnsAnswers, dnsQueries } from '../metrics/registry.js';
import { rcodeOf, type Transport } from './message.js';

const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

export function rcodeName(rcode: number): string {
  return RCODES[rcode] ?? String(rcode);
}

/** Count one query and, once it settles, its answer (none for a dropped, malformed query). */
export function observeQuery(transport: Transport, answer: Promise<Buffer | null>): Promise<Buffer | null> {
  dnsQueries.inc({ transport });
  return answer.then((resp) => {
    if (resp) dnsAnswers.inc({ rcode: rcodeName(rcodeOf(resp)) });
    return resp;
  });
}
