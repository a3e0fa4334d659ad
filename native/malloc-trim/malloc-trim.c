// malloc_trim(0) for Node.js through Node-API (ABI-stable: one build serves Node 20 to 26).
// glibc keeps the pages of freed chunks below the top of its heaps resident; malloc_trim(0)
// walks every arena and gives the whole free pages back with madvise(MADV_DONTNEED)
// (man 3 malloc_trim: "Since glibc 2.8 this function frees memory in all arenas and in all
// chunks with whole free pages"). Elsewhere (musl, macOS) there is nothing to call: trim()
// returns undefined there, so callers can tell "not available" from "nothing released".
#include <node_api.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

static napi_value Trim(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
#if defined(__GLIBC__)
  napi_get_boolean(env, malloc_trim(0) != 0, &result);
#else
  napi_get_undefined(env, &result);
#endif
  return result;
}

NAPI_MODULE_INIT() {
  napi_value trim;
  if (napi_create_function(env, "trim", NAPI_AUTO_LENGTH, Trim, NULL, &trim) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "trim", trim) != napi_ok) return NULL;
  return exports;
}
