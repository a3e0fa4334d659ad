/**
 * Reads what valgrind's callgrind counted (bench/instructions.ts): the instructions each function
 * ran itself and with what it called, for one thread of one dump. Callgrind names the machine
 * code of the node binary, libc and the like from their symbols; the code V8 compiles at run time
 * has no symbols, so it is named from the map node writes with `--perf-basic-prof`
 * (/tmp/perf-PID.map: start, size and name of each piece of code, in the order it was made) and
 * then, for our bundle, from dist/ to src/ through the source maps.
 *
 * The file format: https://valgrind.org/docs/manual/cl-format.html. Names are given once in full
 * as "(id) name" and after that as "(id)"; a cost line after "calls=" is the cost of that call,
 * callee's work included, and is not the caller's own.
 */
import { readFileSync } from 'node:fs';
import { sourcePosition } from './source-names.ts';

export interface FunctionCost {
  name: string;
  /** Instructions the function ran itself. */
  self: number;
  /**
   * Itself plus what it called. A function that is re-entered below itself (a stream's emit
   * calling a handler that emits again) counts the inner calls twice, as callgrind_annotate does.
   */
  inclusive: number;
}

export interface ThreadCosts {
  /** All the instructions of the thread in the dump. */
  total: number;
  functions: FunctionCost[];
}

interface CodeRange {
  start: number;
  end: number;
  name: string;
}

/** The pieces of code a `--perf-basic-prof` map names, sorted by start; a later piece at the same place wins. */
export function readPerfMap(file: string): CodeRange[] {
  const ranges: CodeRange[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const first = line.indexOf(' ');
    const second = line.indexOf(' ', first + 1);
    if (second < 0) continue;
    const start = Number.parseInt(line.slice(0, first), 16);
    ranges.push({ start, end: start + Number.parseInt(line.slice(first + 1, second), 16), name: line.slice(second + 1) });
  }
  // Stable: among pieces at one start, the one made last stays last.
  return ranges.sort((left, right) => left.start - right.start);
}

/** The name of the code at `address`: the latest-made piece that covers it, else undefined. */
function codeAt(ranges: CodeRange[], address: number): string | undefined {
  let low = 0;
  let high = ranges.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (ranges[middle]!.start <= address) low = middle + 1;
    else high = middle;
  }
  // Pieces are small and rarely overlap: look back a little for one that covers the address.
  for (let index = low - 1; index >= 0 && index >= low - 64; index -= 1) {
    const range = ranges[index]!;
    if (range.start <= address && address < range.end) return range.name;
  }
  return undefined;
}

// "JS:*name file:///…/dist/app.js:510:13781": tier mark (* optimised, ^ baseline, ~ interpreted), name, script, line, column.
const compiledName = /^JS:[*^~+-]?(.*?) (\S+):(\d+):(\d+)$/;

/**
 * A function's name as the report shows it: V8's compiled code by its src/ position (tiers of one
 * function counted as one), C++ without its parameters, unnamed run-time code (undici's WebAssembly
 * HTTP parser, stubs) as one entry.
 */
export function displayName(raw: string, ranges: CodeRange[]): string {
  let name = raw;
  if (/^0x[0-9a-f]+$/.test(raw)) name = codeAt(ranges, Number.parseInt(raw, 16)) ?? '(unnamed run-time code: WebAssembly, stubs)';
  const compiled = compiledName.exec(name);
  if (compiled) return `${compiled[1] || '(anonymous)'} ${sourcePosition(compiled[2]!, Number(compiled[3]) - 1, Number(compiled[4]) - 1)}`;
  if (name.startsWith('JS:') || name.startsWith('RegExp:') || name.startsWith('Builtin:')) return name.replace(/^JS:[*^~+-]?/, '');
  // C++: "v8::internal::JsonParser<unsigned char>::ParseJson(v8::…)" without the parameters.
  const plain = name.replaceAll('(anonymous namespace)', '{anonymous}');
  const open = plain.indexOf('(');
  return open > 0 ? plain.slice(0, open) : plain;
}

/** The costs of one thread's dump (`file`), names resolved with `ranges`. */
export function readCallgrind(file: string, ranges: CodeRange[]): ThreadCosts {
  const names = new Map<string, string>();
  const self = new Map<string, number>();
  const called = new Map<string, number>();
  let total = 0;
  let current = '';
  let callee = '';
  let callLine = false;
  /** "(id) name" or "(id)": the name, remembered under its id the first time. */
  const nameOf = (text: string): string => {
    const close = text.indexOf(')');
    if (!text.startsWith('(') || close < 0) return displayName(text, ranges);
    const id = text.slice(1, close);
    if (close + 1 < text.length) names.set(id, displayName(text.slice(close + 2), ranges));
    return names.get(id) ?? `(function ${id})`;
  };
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.startsWith('fn=')) {
      current = nameOf(line.slice(3));
    } else if (line.startsWith('cfn=')) {
      callee = nameOf(line.slice(4));
    } else if (line.startsWith('calls=')) {
      callLine = true;
    } else if (line.startsWith('totals:') || line.startsWith('summary:')) {
      total = Number(line.slice(line.indexOf(':') + 1));
    } else if (/^[0-9+\-*]/.test(line)) {
      const cost = Number(line.slice(line.lastIndexOf(' ') + 1));
      if (callLine) {
        callLine = false;
        if (callee !== current) called.set(current, (called.get(current) ?? 0) + cost);
      } else {
        self.set(current, (self.get(current) ?? 0) + cost);
      }
    }
  }
  const functions = [...new Set([...self.keys(), ...called.keys()])].map((name) => ({
    name,
    self: self.get(name) ?? 0,
    inclusive: (self.get(name) ?? 0) + (called.get(name) ?? 0),
  }));
  return { total, functions };
}
