/*
 * prelude.h - force-included into every cbuild translation unit by CMake.
 * It pulls in the system headers that declare the banned functions first
 * (their include guards make later #includes no-ops), then banned.h.
 */
#ifndef CB_COMMON_PRELUDE_H
#define CB_COMMON_PRELUDE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

#endif
