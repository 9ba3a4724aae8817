// The fault schedule's timeline events in series.ndjson (wire types, checked with zod): a fault
// window opens with `fault.start` and closes with the `fault.end` of the same id.
//   {"t":1700000010000,"event":"fault.start","id":"pause-nats","what":"pause","where":"nats"}
//   {"t":1700000040000,"event":"fault.end","id":"pause-nats"}
// Written by the fault runner; reports read them to shade the window on every chart.
import { z } from 'zod';

export const FAULT_START_EVENT = 'fault.start';
export const FAULT_END_EVENT = 'fault.end';

export const faultStartWire = z.object({
  t: z.number(),
  event: z.literal(FAULT_START_EVENT),
  id: z.string().min(1),
  /** The kind of fault, e.g. `pause`, `latency`, `kill`. */
  what: z.string().default(''),
  /** The component it hits, e.g. `nats`, `postgres`, `worker`. */
  where: z.string().default(''),
});

export const faultEndWire = z.object({
  t: z.number(),
  event: z.literal(FAULT_END_EVENT),
  id: z.string().min(1),
});

export type FaultStartWire = z.output<typeof faultStartWire>;
export type FaultEndWire = z.output<typeof faultEndWire>;
