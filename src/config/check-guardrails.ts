import type { ReadableConfig } from './readable-config.ts';

/** Guardrail names must be unique, and routes may only name guardrails that exist. */
export function checkGuardrailReferences(config: ReadableConfig): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  config.guardrails.forEach((guardrail, index) => {
    if (guardrail.name === undefined) return;
    if (names.has(guardrail.name)) problems.push(`guardrails[${index}].name: duplicate guardrail name "${guardrail.name}"`);
    names.add(guardrail.name);
  });
  config.routes.forEach((route, index) => {
    route.guardrails.forEach((name, position) => {
      if (name !== undefined && !names.has(name)) problems.push(`routes[${index}].guardrails[${position}]: unknown guardrail "${name}"`);
    });
  });
  return problems;
}
