// The benches' minimal HTTP target: one thread of node:http answering every request with a small
// 200 after reading its body, so a client bench measures the client, not the target. Run as a child
// (`node --import tsx bench/support/minimalServer.ts [port]`); it prints `listening <port>` when ready.
import { createServer } from 'node:http';

const BODY = Buffer.from('{"ok":true}');

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': BODY.length });
    res.end(BODY);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
});
// The bench that started it ends it; a closed stdin means that parent is gone.
process.stdin.on('close', () => process.exit(0));
process.stdin.resume();
