#pragma once
#include <gst/base/base.h>
