// Types of scripts/allocator-trim.js for the TypeScript that imports it (tests).
export declare const trimIntervalMs: number;
export declare function trimIntervalFrom(value?: string): number;
export declare function loadTrim(): (() => boolean | undefined) | undefined;
export declare function trimAllocatorPeriodically(intervalMs?: number, load?: () => (() => unknown) | undefined): NodeJS.Timeout | undefined;
