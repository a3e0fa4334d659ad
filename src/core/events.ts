import diagnosticsChannel from 'node:diagnostics_channel';
import type { LedgerRow } from './ledger.ts';

/**
 * Observability seam: code publishes here, telemetry subscribes (src/telemetry/). Publishers
 * check `hasSubscribers` first so an unobserved gateway pays nothing.
 */

/** Published once per request, with its finished ledger row. */
export const requestFinishedChannel = diagnosticsChannel.channel('switchboard:request:finished');

/** Payload of requestFinishedChannel. */
export interface RequestFinishedMessage {
  /** The gateway instance that handled it (several may share a process, e.g. in tests). */
  instance: string;
  row: LedgerRow;
}
