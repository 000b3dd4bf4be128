/** Archives and layers arrive plain or gzip-compressed (told apart by their first bytes, as dockerd does). */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { InvalidArgument } from '../util/errors.js';

const REFUSED: [number[], string][] = [
  [[0x28, 0xb5, 0x2f, 0xfd], 'zstd'],
  [[0xfd, 0x37, 0x7a, 0x58, 0x5a], 'xz'],
  [[0x42, 0x5a, 0x68], 'bzip2'],
];

const startsWith = (b: Buffer, magic: number[]) => magic.every((m, i) => b[i] === m);

/** The uncompressed content of input: gunzipped if it is gzip, refused if another compression. */
export async function decompressed(input: Readable): Promise<Readable> {
  const it = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first = await it.next();
  const head = first.done ? Buffer.alloc(0) : first.value;
  const refused = REFUSED.find(([magic]) => startsWith(head, magic));
  if (refused) throw new InvalidArgument(`${refused[1]}-compressed archives and layers are not supported by weft: use gzip or none`);
  const whole = Readable.from((async function* () {
    yield head;
    for (let n = await it.next(); !n.done; n = await it.next()) yield n.value;
  })());
  if (!startsWith(head, [0x1f, 0x8b])) return whole;
  const gunzip = zlib.createGunzip();
  // pipeline destroys gunzip with the error, so its reader sees a failed read.
  pipeline(whole, gunzip).catch(() => undefined);
  return gunzip;
}
