import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
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
});
