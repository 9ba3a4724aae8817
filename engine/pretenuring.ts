// V8's allocation-site pretenuring, switched off for the engine's process before its workers start.
import { setFlagsFromString } from 'node:v8';

let done = false;

/**
 * Pretenuring allocates objects from a site whose objects survived a few scavenges (the start-up
 * burst is enough) straight into old space. undici's per-response header array is such a site; in
 * old space, each dead array keeps its header Buffers alive through every scavenge until a full GC.
 * At 30,000/s against the minimal server, 6 runs alternating (bench/README.md, "Pretenuring"): with
 * it, 2 runs of 3 promoted 3.0-4.5 MB per scavenge and paused 470-705 ms in 8 s; without it, all 3
 * promoted ~0.6 MB and paused ~210 ms. V8 reads the flag when it weighs a site's feedback, so
 * setting it at run time holds for the workers made after it (the flag is process-wide).
 */
export function disablePretenuring(): void {
  if (done) return;
  setFlagsFromString('--no-allocation-site-pretenuring');
  done = true;
}
