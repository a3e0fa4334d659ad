// A file mapped into memory (mmap MAP_SHARED) as an ArrayBuffer, for Node.js through Node-API
// (ABI-stable: one build serves Node 20 to 26). The ledger's journals (src/ledger/line-file.ts)
// write their lines into such a mapping instead of calling write(2) for each: what is stored in
// a shared mapping is in the kernel's page cache at once, so it outlives the process whatever
// kills it (man 2 mmap, MAP_SHARED: "Updates to the mapping are visible to other processes
// mapping the same region, and ... are carried through to the underlying file"), exactly as a
// write(2) without fsync does, without a system call per line.
//
// map(fd, length): the file's first `length` bytes (the file must be at least that long: pages
// past its end fault with SIGBUS), readable and writable; unmapped when the ArrayBuffer is
// collected. release(buffer): its pages dropped from the process (madvise MADV_DONTNEED; for a
// shared file mapping they stay in the file and the page cache, and fault back in if touched),
// for a mapping replaced before the collector gets to it. Where mmap is not POSIX's (Windows),
// there is no addon and the journals write(2).
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

typedef struct {
  size_t length;
} mapping_t;

static void Unmap(napi_env env, void* data, void* hint) {
  (void)env;
  mapping_t* mapping = (mapping_t*)hint;
  munmap(data, mapping->length);
  free(mapping);
}

static napi_value Map(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) {
    napi_throw_type_error(env, NULL, "map(fd, length) takes two numbers");
    return NULL;
  }
  int32_t fd;
  int64_t length;
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok || napi_get_value_int64(env, argv[1], &length) != napi_ok || fd < 0 || length <= 0) {
    napi_throw_type_error(env, NULL, "map(fd, length) takes a descriptor and a positive length");
    return NULL;
  }
  void* address = mmap(NULL, (size_t)length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (address == MAP_FAILED) {
    napi_throw_error(env, NULL, "mmap failed");
    return NULL;
  }
  mapping_t* mapping = (mapping_t*)malloc(sizeof(mapping_t));
  if (mapping == NULL) {
    munmap(address, (size_t)length);
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  mapping->length = (size_t)length;
  napi_value buffer;
  if (napi_create_external_arraybuffer(env, address, (size_t)length, Unmap, mapping, &buffer) != napi_ok) {
    munmap(address, (size_t)length);
    free(mapping);
    napi_throw_error(env, NULL, "cannot wrap the mapping");
    return NULL;
  }
  return buffer;
}

static napi_value Release(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void* data;
  size_t length;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1 || napi_get_arraybuffer_info(env, argv[0], &data, &length) != napi_ok) {
    napi_throw_type_error(env, NULL, "release(buffer) takes the ArrayBuffer map() returned");
    return NULL;
  }
  if (length > 0) madvise(data, length, MADV_DONTNEED);
  return NULL;
}

NAPI_MODULE_INIT() {
  napi_value map, release;
  if (napi_create_function(env, "map", NAPI_AUTO_LENGTH, Map, NULL, &map) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "map", map) != napi_ok) return NULL;
  if (napi_create_function(env, "release", NAPI_AUTO_LENGTH, Release, NULL, &release) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "release", release) != napi_ok) return NULL;
  return exports;
}
