/** The first `length` bytes of the open file `fd` (at least that long), mapped shared, read-write; unmapped when collected. */
export declare function map(fd: number, length: number): ArrayBuffer;
/** Drops the pages of a mapping `map` returned from the process (they stay in the file); for one replaced before it is collected. */
export declare function release(buffer: ArrayBuffer): void;
