/*
 * units.h - byte sizes as Docker's tools read them ("64m", "1 g",
 * "1.5GiB", "100"): docker/go-units v0.5.0, which the docker CLI
 * (--memory, --memory-swap, --shm-size, `builder prune --keep-storage`) and
 * BuildKit (RUN --mount=type=tmpfs,size=) use.  One parser for every size
 * cbuild takes, so a size means the same everywhere.
 *
 * Accepted: a number as Go's strconv.ParseFloat reads it ("1", "1.5",
 * ".5", "1e3", "0x1p4", "1_000", "+5"), then optionally one space, then a
 * suffix, case-insensitive: b, or k m g t p with an optional b or ib ("k",
 * "kb", "kib").  The number ends at the last digit, '.' or space of the
 * text.  With or without "i", cb_ram_in_bytes() counts in powers of 1024
 * and cb_from_human_size() in powers of 1000.  The product is truncated
 * toward zero ("1.5_5" is 1 byte).
 *
 * Errors read as go-units' do: "invalid size: '-1'", "invalid suffix:
 * 'kibb'", "strconv.ParseFloat: parsing \"1.5.5\": invalid syntax".  Where
 * Go would return garbage (a result of 2^63 or more, infinity, NaN) the
 * size is refused: "size out of range: '8192p'".
 */
#ifndef CB_COMMON_UNITS_H
#define CB_COMMON_UNITS_H

#include <stdint.h>

#include "error.h"

/* go-units' RAMInBytes: binary multiples ("1k" is 1024).  *out >= 0. */
int cb_ram_in_bytes(const char *s, int64_t *out, struct cb_error **err);

/* go-units' FromHumanSize: decimal multiples ("1k" and "1KiB" are 1000).  *out >= 0. */
int cb_from_human_size(const char *s, int64_t *out, struct cb_error **err);

#endif
