/**
 * How a simulator continues a prefilled answer (a stream resume): the rest of the answer it
 * would have given, when that answer starts with the prefix (so a resumed stream reads exactly
 * like an unbroken one and a test can assert the whole text); otherwise a short continuation
 * naming the model, so a test still knows every character that was sent.
 */
export function continueAnswer(full: string, prefix: string, model: string): string {
  if (full.startsWith(prefix)) return full.slice(prefix.length);
  return ` (continued by ${model})`;
}
