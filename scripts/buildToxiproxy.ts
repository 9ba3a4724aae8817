// `npm run build:toxiproxy`: builds the pinned Toxiproxy server into the cache once (instant when
// it is there) and prints the binary's path on stdout; progress goes to stderr.
import { ensureToxiproxyBinary } from '../faults/toxiproxyBinary.ts';

try {
  const binary = await ensureToxiproxyBinary({ log: (line) => console.error(`build:toxiproxy: ${line}`) });
  console.log(binary);
} catch (err) {
  console.error(`build:toxiproxy: ${(err as Error).message}`);
  process.exit(1);
}
