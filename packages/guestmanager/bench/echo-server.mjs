// Raw echo peer for the bench: reads bridge-style frames (16-byte header, Size included) and
// answers each with a canned frame of RESPONSE_SIZE bytes carrying the same ID. No JSON work.
import { createServer } from 'node:net';

const [path, responseSizeArg] = process.argv.slice(2);
const responseSize = Number(responseSizeArg);
// payload: a valid response JSON padded with spaces to the size (so a Bridge can use it too)
const reply = Buffer.alloc(responseSize, 0x20);
reply.write('{"Result":0,"GuestStacks":""}', 16);
reply.writeUInt32LE(0x20100c01, 0);
reply.writeUInt32LE(responseSize, 4);
const server = createServer((s) => {
  let buf = Buffer.alloc(0);
  s.on('data', (d) => {
    buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
    while (buf.length >= 16) {
      const size = buf.readUInt32LE(4);
      if (buf.length < size) break;
      const out = Buffer.from(reply);
      buf.copy(out, 8, 8, 16);
      buf = buf.subarray(size);
      s.write(out);
    }
  });
  s.on('error', () => {});
});
server.listen(path, () => process.send?.('ready'));
process.on('disconnect', () => process.exit(0));
