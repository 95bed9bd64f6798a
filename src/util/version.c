/* SPDX-License-Identifier: MIT */
/* The library version, as configured by meson. */
#include "fence/fence.h"

#include "fence-build-config.h"

FENCE_API const char *fence_version(void) {
    return FENCE_VERSION_STRING;
}
