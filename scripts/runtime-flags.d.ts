// Types of scripts/runtime-flags.js for the TypeScript that imports it (tests, src/cluster/primary.ts).
export declare function runtimeV8Flags(nodeFlags: readonly string[], nodeVersion: string, cores: number): string[];
export declare function youngGenerationFlags(nodeFlags: readonly string[]): string[];
