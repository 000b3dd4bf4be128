/**
 * dockerd hijacks an attach connection whether or not the client asked to upgrade it
 * (dockerode's default attach sends a plain POST and reads the stream as the response body).
 * For a plain request the hijack handlers' 101 reply becomes dockerd's: a 200 with the same
 * content type, and the stream until the connection closes.
 */
import type { Duplex } from 'node:stream';

const UPGRADE_REPLY = /^HTTP\/1\.1 101 UPGRADED\r\n([\s\S]*?)\r\n\r\n/;

function asPlainReply(head: string): string {
  const m = UPGRADE_REPLY.exec(head);
  if (!m) return head;
  const fields = m[1].split('\r\n').filter((l) => !/^(connection|upgrade):/i.test(l));
  return `HTTP/1.1 200 OK\r\n${fields.join('\r\n')}\r\n\r\n${head.slice(m[0].length)}`;
}

/** The socket of a plain request, made ready for a hijack handler: its first write, the handshake, is rewritten. */
export function plainHijack(socket: Duplex): Duplex {
  const write = socket.write.bind(socket);
  socket.write = ((chunk: unknown, ...rest: never[]) => {
    socket.write = write;
    return write(typeof chunk === 'string' ? asPlainReply(chunk) : (chunk as Buffer), ...rest);
  }) as Duplex['write'];
  return socket;
}
