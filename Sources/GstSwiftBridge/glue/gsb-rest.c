/* dladdr() is a GNU extension, which Swift's Glibc module does not show. */
#define _GNU_SOURCE
#include <dlfcn.h>

#include "gsb-rest.h"

int
gsb_json_type (const json_t * json)
{
  if (json == NULL)
    return -1;
  return (int) json_typeof (json);
}

void
gsb_json_decref (json_t * json)
{
  json_decref (json);
}

const char *
gsb_object_path (const void *address)
{
  Dl_info info;

  if (address == NULL || dladdr (address, &info) == 0)
    return NULL;
  return info.dli_fname;
}
