#!/usr/bin/env node
// The package's bin: registers the TypeScript loader (tsx) and runs the CLI from src/.
// See docs/decisions/0001-runtime-and-tooling.md for why we run the sources directly.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
await main(process.argv.slice(2));
