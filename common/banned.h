/*
 * banned.h - functions cbuild never calls.  Every translation unit gets it
 * through prelude.h (CMake passes `-include common/prelude.h`), after the
 * system headers that declare these names, so a use is a compile error.
 *   strcpy/strcat/sprintf/vsprintf/gets: unbounded writes; use cb_strbuf or
 *     snprintf.
 *   system/popen: go through /bin/sh; spawn with posix_spawn or the runtime.
 */
#ifndef CB_COMMON_BANNED_H
#define CB_COMMON_BANNED_H

#define CB_BANNED(func) sorry_##func##_is_a_banned_function

#undef strcpy
#define strcpy(x, y) CB_BANNED(strcpy)
#undef strcat
#define strcat(x, y) CB_BANNED(strcat)
#undef strncpy
#define strncpy(x, y, n) CB_BANNED(strncpy)
#undef sprintf
#define sprintf(...) CB_BANNED(sprintf)
#undef vsprintf
#define vsprintf(...) CB_BANNED(vsprintf)
#undef gets
#define gets(x) CB_BANNED(gets)
#undef system
#define system(x) CB_BANNED(system)
#undef popen
#define popen(x, y) CB_BANNED(popen)

#endif
