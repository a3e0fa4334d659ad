// Types of scripts/runtime-flags.js for the TypeScript that imports it (tests).
export declare function runtimeV8Flags(nodeFlags: readonly string[], nodeVersion: string): string[];
