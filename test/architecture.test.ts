import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { providerDefinitions } from '../src/providers/index.ts';
import { strategies } from '../src/router/index.ts';

/**
 * STYLE rule 1: a new provider or strategy is one folder (or file) plus one registry line, so
 * nothing outside the provider folders, the strategy files, the two registries and config/ may
 * name a provider type or a strategy. `openai` and `anthropic` are also the names of the two
 * ingress wire formats, `latency` a value of OpenRouter's `provider.sort` hint and `adaptive`
 * an Anthropic thinking type, so those uses are told apart by context.
 */
const allowed = [/^src\/providers\//, /^src\/router\/strategies\//, /^src\/router\/index\.ts$/, /^src\/config\//, /\.test\.ts$/];

async function sourceFiles(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true });
  return entries.filter((entry) => entry.endsWith('.ts')).map((entry) => join(directory, entry));
}

describe('architecture', () => {
  it('names provider types and strategies only in their folders, registries and config', async () => {
    const names = [...providerDefinitions.keys(), ...strategies.keys()];
    const offences: string[] = [];
    for (const file of await sourceFiles('src')) {
      if (allowed.some((pattern) => pattern.test(file))) continue;
      const lines = (await readFile(file, 'utf8')).split('\n');
      lines.forEach((line, index) => {
        for (const name of names) {
          if (!line.includes(`'${name}'`)) continue;
          const ingressFormat = (name === 'openai' || name === 'anthropic') && /format|shaper|ErrorShaper|errorShapers/i.test(line);
          const sortHint = name === 'latency' && /sort|throughput/.test(line);
          const thinkingType = name === 'adaptive' && /thinking|z\.literal\('adaptive'\)/.test(line);
          if (!ingressFormat && !sortHint && !thinkingType) offences.push(`${file}:${index + 1}: '${name}'`);
        }
      });
    }
    assert.deepEqual(offences, []);
  });

  it('keeps src/core free of imports from outside it', async () => {
    for (const file of await sourceFiles('src/core')) {
      const text = await readFile(file, 'utf8');
      for (const match of text.matchAll(/from '([^']+)'/g)) {
        assert.ok(match[1]!.startsWith('node:') || match[1]!.startsWith('./'), `${file} imports ${match[1]}`);
      }
    }
  });

  it('loads neither the gateway nor the token tables in the cluster primary (static imports of src/main.ts)', async () => {
    // What main.ts loads before it knows the command: the primary of --workers N stops there.
    const reached = new Set<string>();
    const packages = new Set<string>();
    const pending = ['src/main.ts'];
    while (pending.length > 0) {
      const file = pending.pop()!;
      if (reached.has(file)) continue;
      reached.add(file);
      const text = await readFile(file, 'utf8');
      // Value imports and re-exports; `import type` and `await import(...)` load nothing here.
      for (const match of text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?\bfrom\s+'([^']+)'/gm)) {
        const specifier = match[1]!;
        if (specifier.startsWith('.')) pending.push(join(dirname(file), specifier));
        else if (!specifier.startsWith('node:')) packages.add(specifier);
      }
    }
    const gateway = [...reached].filter((file) => /^src\/(app\.ts|pipeline\.ts|server\/|api\/|upstream\/|tokens\/)/.test(file));
    assert.deepEqual(gateway, []);
    const heavy = [...packages].filter((name) => /^(fastify|undici|prom-client|gpt-tokenizer|yaml|@smithy|@aws-crypto)/.test(name));
    assert.deepEqual(heavy, []);
  });
});
