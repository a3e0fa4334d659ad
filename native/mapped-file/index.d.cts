/** The first `length` bytes of the open file `fd` (at least that long), mapped shared, read-write; unmapped when collected. */
export declare function map(fd: number, length: number): ArrayBuffer;
