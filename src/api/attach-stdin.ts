/**
 * An attach with stdin=1: what the client sends on the hijacked connection goes to the main
 * process's stdin. Attached before start (docker run -i), the bytes wait in the socket until
 * the process runs. The client's half-close (or leaving) ends its input; with StdinOnce
 * that is the process's EOF, as in dockerd.
 */
import type { Duplex } from 'node:stream';
import type { ContainerRecord, ContainerService } from '../engine/containers.js';

export function attachStdin(svc: ContainerService, c: ContainerRecord, socket: Duplex, head: Buffer): void {
  socket.pause();
  let ended = false;
  const finish = () => {
    if (ended) return;
    ended = true;
    svc.off('start', onStart);
    if (c.stdinOnce) svc.closeStdin(c);
  };
  const connect = (): boolean => {
    const w = svc.stdin(c);
    if (!w) return false;
    svc.off('start', onStart);
    if (head.length) w.write(head);
    socket.pipe(w, { end: false });
    socket.once('end', () => { socket.unpipe(w); finish(); });
    return true;
  };
  const onStart = (id: string) => { if (id === c.id) connect(); };
  socket.once('close', finish);
  if (!connect()) svc.on('start', onStart);
}
