/* Thin wrappers for the REST server (jansson and civetweb) that Swift cannot
 * call directly: jansson's type test is a macro and json_decref is an inline
 * function built on compiler atomics. Behaviour lives in Swift
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

#ifdef __cplusplus
}
#endif
