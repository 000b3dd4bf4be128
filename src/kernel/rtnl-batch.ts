/**
 * Several netlink requests in one sendmsg, their answers read together: the kernel runs the
 * messages of one send in order, answering each (its echo, if asked, then its ack), so an
 * endpoint's setup costs one round trip through the event loop instead of one per request.
 * rtnetlink has no transaction: each request succeeds or fails on its own and the kernel goes
 * on with the next one after a failure; the caller undoes what it must.
 */
import { checkError, Flags, formatMessage, MessageType, type NetlinkMessage, type NetlinkSocket, pad } from 'netlink';
import { codeOf } from './rtnl-messages.js';

export interface BatchRequest {
  /** What the request does, named in the error when it fails. */
  op: string;
  type: number;
  /** NLM_F_* beyond REQUEST and ACK (which every request carries). */
  flags: number;
  body: Uint8Array[];
  /** Error codes that count as done (EEXIST for an address already there). */
  tolerate?: string[];
}

/**
 * The kernel answers a send before sendmsg returns; answers still missing this long after it cannot come any more
 * (a receive queue that overflowed drops them), so their requests fail instead of holding the socket for ever.
 */
const ANSWER_GRACE_MS = 5_000;

export interface BatchReply {
  /** Messages the kernel sent for the request before its ack (an echo); none for a plain ack. */
  msgs: NetlinkMessage[];
  /** The kernel's error code, unless the request was done (or failed with a tolerated code). */
  code?: string;
}

/** Send the requests in one sendmsg; resolves once every one of them is answered. */
export function sendBatch(sock: NetlinkSocket, requests: BatchRequest[]): Promise<BatchReply[]> {
  const port = sock.address().port;
  const seqs = requests.map(() => sock.generateSeq());
  const replies = requests.map((): BatchReply => ({ msgs: [] }));
  const bySeq = new Map(seqs.map((s, i) => [s, i]));
  let open = requests.length;
  return new Promise<BatchReply[]>((resolve, reject) => {
    const onMessage = (msgs: NetlinkMessage[]) => {
      for (const m of msgs) {
        const i = bySeq.get(m.seq);
        if (i === undefined) continue;
        if (m.type !== MessageType.ERROR) {
          replies[i].msgs.push(m);
          continue;
        }
        const code = errorCode(m);
        if (code && !requests[i].tolerate?.includes(code)) replies[i].code = code;
        bySeq.delete(m.seq);
        if (--open === 0) finish(() => resolve(replies));
      }
    };
    let grace: NodeJS.Timeout | undefined;
    const finish = (settle: () => void) => {
      clearTimeout(grace);
      sock.off('message', onMessage);
      sock.ref(false);
      settle();
    };
    sock.on('message', onMessage);
    // Keeps the process alive while answers are due, as the binding's own requests do.
    sock.ref(true);
    // Each message padded to the 4-byte alignment the kernel steps by to find the next one.
    const bufs = requests.flatMap((r, i) =>
      pad(formatMessage({ type: r.type, flags: r.flags | Flags.REQUEST | Flags.ACK, seq: seqs[i], port, data: r.body })));
    sock.socket.send(bufs, {}, (err) => {
      if (err) return finish(() => reject(err));
      if (open === 0) return;
      grace = setTimeout(() => finish(() => {
        for (const i of bySeq.values()) replies[i].code = 'ETIMEDOUT';
        resolve(replies);
      }), ANSWER_GRACE_MS);
    });
  });
}

/** The error code an ack carries, or undefined when it says done. */
function errorCode(ack: NetlinkMessage): string | undefined {
  try {
    checkError(ack);
    return undefined;
  } catch (err) {
    return codeOf(err);
  }
}
