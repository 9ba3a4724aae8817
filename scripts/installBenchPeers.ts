// `npm run install:bench-peers`: the benches' peers (Debian's wrk and GNU time, autocannon 9 from
// npm, natscli v0.5.0 via go install), installed into ~/.cache/pipesoak once, so the bench smoke in
// CI does not spend its test timeout installing them.
import { ensureAutocannon, ensureNatsCli, ensureTime, ensureWrk } from '../bench/support/peers.ts';

try {
  for (const ensure of [ensureWrk, ensureTime, ensureAutocannon, ensureNatsCli]) console.log(ensure());
} catch (err) {
  console.error(`install:bench-peers: ${(err as Error).message}`);
  process.exit(1);
}
