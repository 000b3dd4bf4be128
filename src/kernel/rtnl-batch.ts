/**
 * Several netlink requests in one sendmsg, their answers read together: the kernel runs the
 * messages of one send in order, answering each (its echo, if asked, then its ack), so an
 * endpoint's setup costs one round trip through the event loop instead of one per request.
 * rtnetlink has no transaction: each request succeeds or fails on its own and the kernel goes
 * on with the next one after a failure; the caller undoes what it must.
 */
import { checkError, Flags, formatMessage, MessageType, type NetlinkMessage, type NetlinkSocket } from 'netlink';
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
    const finish = (settle: () => void) => {
      sock.off('message', onMessage);
      sock.ref(false);
      settle();
    };
    sock.on('message', onMessage);
    // Keeps the process alive while answers are due, as the binding's own requests do.
    sock.ref(true);
    const bufs = requests.flatMap((r, i) =>
      formatMessage({ type: r.type, flags: r.flags | Flags.REQUEST | Flags.ACK, seq: seqs[i], port, data: r.body }));
    sock.socket.send(bufs, {}, (err) => {
      if (err) finish(() => reject(err));
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
