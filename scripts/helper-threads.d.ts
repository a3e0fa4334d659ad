// Types of scripts/helper-threads.js for the TypeScript that imports it (tests).
export declare const helperNiceIncrement: number;
export declare function lowerHelperThreads(system?: {
  platform?: string;
  nodeVersion?: string;
  pid?: number;
  threads?: () => number[];
  getPriority?: (id: number) => number;
  setPriority?: (id: number, priority: number) => void;
}): number[];
