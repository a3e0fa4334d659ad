// Types of scripts/build-state.js for the TypeScript that imports it (tests, bench).
export declare const stampName: string;
export declare function staleReason(root: string): string | undefined;
