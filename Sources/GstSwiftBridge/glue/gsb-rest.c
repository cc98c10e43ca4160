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
