import type { Config } from './schema.ts';

/** Guardrail names must be unique, and routes may only name guardrails that exist. */
export function checkGuardrailReferences(config: Config): string[] {
  const problems: string[] = [];
  const names = new Set<string>();
  config.guardrails.forEach((guardrail, index) => {
    if (names.has(guardrail.name)) problems.push(`guardrails[${index}].name: duplicate guardrail name "${guardrail.name}"`);
    names.add(guardrail.name);
  });
  config.routes.forEach((route, index) => {
    route.guardrails.forEach((name, position) => {
      if (!names.has(name)) problems.push(`routes[${index}].guardrails[${position}]: unknown guardrail "${name}"`);
    });
  });
  return problems;
}
