import type { CandidateFilter } from '../../core/strategy.ts';
import { allowedModelsFilter } from './allowed-models.ts';
import { capabilitiesFilter } from './capabilities.ts';
import { circuitOpenFilter } from './circuit-open.ts';
import { contextWindowFilter } from './context-window.ts';
import { dataPolicyFilter } from './data-policy.ts';
import { providerHintsFilter } from './provider-hints.ts';
import { unknownPriceFilter } from './unknown-price.ts';

/** Filters, in the order they run; the first that rejects a candidate names the reason. */
export const candidateFilters: readonly CandidateFilter[] = [
  allowedModelsFilter,
  dataPolicyFilter,
  unknownPriceFilter,
  providerHintsFilter,
  capabilitiesFilter,
  contextWindowFilter,
  circuitOpenFilter,
];
