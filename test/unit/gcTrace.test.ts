// The bench's GC-trace summary, from V8 --trace-gc-nvp lines of this machine (cut to the fields it
// reads): per isolate, scavenges and their pauses, promoted bytes per scavenge, mark-compacts.
import { describe, expect, it } from 'vitest';
import { formatIsolateGc, summariseGcTrace } from '../../bench/support/gcTrace.ts';

const TRACE = [
  '[17588:0x3c5e7df0]       39 ms: pause=1.1 mutator=34.9 gc=s reduce_memory=0 promoted=0 new_space_survived=467880',
  '{"not":"a gc line"}',
  '[17588:0x7fc380000f00]     3490 ms: pause=0.8 mutator=40.1 gc=s promoted=74040 new_space_survived=158192',
  '[17588:0x7fc380000f00]     3528 ms: pause=2.7 mutator=38.2 gc=s promoted=69840 new_space_survived=179784',
  '[17588:0x7fc380000f00]     3600 ms: pause=5.1 mutator=70.0 gc=mc promoted=1502136 new_space_survived=0',
  '[17588:0x7fc380000f00]     3650 ms: pause=0.5 mutator=49.0 gc=s promoted=10000 new_space_survived=1000',
].join('\n');

describe('summariseGcTrace', () => {
  it('sums each isolate apart, busiest first, and keeps mark-compacts out of the scavenge figures', () => {
    const [worker, main] = summariseGcTrace(TRACE);
    expect(worker).toEqual({
      isolate: '0x7fc380000f00',
      scavenges: 3,
      scavengePauseMs: 4,
      maxScavengePauseMs: 2.7,
      promotedBytesPerScavenge: (74040 + 69840 + 10000) / 3,
      markCompacts: 1,
      markCompactPauseMs: 5.1,
    });
    expect(main?.isolate).toBe('0x3c5e7df0');
    expect(main?.scavenges).toBe(1);
    expect(main?.markCompacts).toBe(0);
  });

  it('prints one line per isolate with units', () => {
    const [worker] = summariseGcTrace(TRACE);
    expect(worker && formatIsolateGc(worker)).toBe(
      'isolate 0x7fc380000f00: 3 scavenges, 4 ms paused (max 2.7 ms), 50 KB promoted per scavenge; 1 mark-compacts, 5 ms',
    );
  });

  it('gives nothing for output without GC lines', () => {
    expect(summariseGcTrace('{"result":1}\n')).toEqual([]);
  });
});
