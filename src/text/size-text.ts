const kibi = 1024;
const mebi = 1024 * 1024;

/**
 * A limit as people write it, in errors that name one: `256 MiB`, `64 KiB`, else the number and
 * `unit` (the stream events' limit counts characters of mostly ASCII text, read as bytes too).
 */
export function sizeText(size: number, unit = 'bytes'): string {
  if (size >= mebi && size % mebi === 0) return `${size / mebi} MiB`;
  if (size >= kibi && size % kibi === 0) return `${size / kibi} KiB`;
  return `${size} ${unit}`;
}
