/**
 * A tool call's arguments (JSON text, as the OpenAI format carries them) as the JSON object
 * that providers taking structured tool input need. Empty text (a call without parameters) is
 * `{}`; text that is not JSON, or JSON that is not an object, is a problem the adapter reports
 * in its provider's words.
 */
export function parseToolArguments(text: string): { object: Record<string, unknown> } | { problem: 'not-json' | 'not-an-object' } {
  if (text.trim() === '') return { object: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { problem: 'not-json' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { problem: 'not-an-object' };
  return { object: value as Record<string, unknown> };
}
