/**
 * Names for the code a profile found, as a reader of src/ looks for them: a position in dist/ is
 * mapped through the bundle's source maps to its src/ file and line; dependencies are named from
 * their folder under node_modules/, the bench's own scripts from bench/.
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

const maps = new Map<string, SourceMap | undefined>();

/**
 * `path:line` of a position in a script (`url`: a file:// address, node:… or a path; `line` and
 * `column` counted from 0): src/ through dist/'s source maps, else the script shortened.
 */
export function sourcePosition(url: string, line: number, column: number): string {
  if (url.startsWith('file://') && url.includes('/dist/')) {
    if (!maps.has(url)) {
      const file = `${fileURLToPath(url)}.map`;
      maps.set(url, existsSync(file) ? new SourceMap(JSON.parse(readFileSync(file, 'utf8'))) : undefined);
    }
    const entry = maps.get(url)?.findEntry(line, column);
    if (entry && 'originalSource' in entry) return `${entry.originalSource.replace(/^.*?\/src\//, 'src/')}:${entry.originalLine + 1}`;
  }
  return `${url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\/.*\/bench\//, 'bench/') || '(native)'}:${line + 1}`;
}
