/* Thin wrappers for the REST server (jansson and civetweb) that Swift cannot
 * call directly: jansson's type test is a macro, json_decref is an inline
 * function built on compiler atomics, dladdr needs _GNU_SOURCE. Behaviour lives in Swift
 * (Sources/swiftmultiurisrc/Rest). */
#pragma once
#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

/* json_typeof(): the json_type of a value; -1 for NULL. */
int gsb_json_type (const json_t * json);

/* json_decref(); NULL is ignored. */
void gsb_json_decref (json_t * json);

/* The file of the loaded object holding `address` (dladdr's dli_fname, as
 * it was loaded: maybe through a symbolic link); NULL when unknown. */
const char *gsb_object_path (const void *address);

#ifdef __cplusplus
}
#endif
