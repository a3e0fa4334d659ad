/** glibc's malloc_trim(0): true when pages were given back, false when none; undefined off glibc. */
export declare function trim(): boolean | undefined;
