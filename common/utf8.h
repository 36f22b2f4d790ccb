/*
 * utf8.h - UTF-8 decoding and the character classes of Go's unicode
 * package, so that cbuild splits words, recognises names and quotes strings
 * exactly as BuildKit (written in Go) does.
 *
 * Decoding follows Go's utf8.DecodeRune: an invalid or truncated sequence
 * decodes as CB_RUNE_ERROR (U+FFFD) with width 1.
 */
#ifndef CB_COMMON_UTF8_H
#define CB_COMMON_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

#define CB_RUNE_ERROR 0xFFFDu

struct cb_rune_range {
	uint32_t lo, hi;
};

/* lo, lo + stride, ... up to hi map to themselves plus delta. */
struct cb_case_range {
	uint32_t lo, hi;
	int32_t delta;
	uint32_t stride; /* 1, or 2 for alternating upper and lower case letters */
};

/*
 * Decode the rune at s (len > 0 bytes available) into *r; returns its width
 * in bytes (1..4).  Invalid input gives CB_RUNE_ERROR and width 1.
 */
size_t cb_utf8_decode(const char *s, size_t len, uint32_t *r);

/*
 * Text for a terminal (issue 11, finding 9): s[0..len) with its control
 * characters as `\x1b`-style escapes, so a name from an archive, an image
 * or the command line cannot drive the terminal (ESC sequences, BEL, CR).
 * Escaped: C0 controls but newline and tab (messages span lines on purpose),
 * DEL, C1 controls (U+0080..U+009F) and raw bytes 0x80..0x9f outside UTF-8
 * (8-bit CSI).  Everything else, invalid UTF-8 included, is kept.
 */
void cb_strbuf_add_escaped(struct cb_strbuf *sb, const char *s, size_t len);
/* The same into a new string, the caller's. */
char *cb_escape_controls(const char *s);

/* Append the UTF-8 encoding of r (invalid runes as U+FFFD). */
void cb_strbuf_add_rune(struct cb_strbuf *sb, uint32_t r);

/* Is r in one of the n ranges of t (sorted by lo, disjoint)?  A binary search. */
bool cb_rune_in_ranges(const struct cb_rune_range *t, size_t n, uint32_t r);

/* Go's unicode.IsSpace, IsLetter, IsDigit and IsPrint. */
bool cb_rune_is_space(uint32_t r);
bool cb_rune_is_letter(uint32_t r);
bool cb_rune_is_digit(uint32_t r);
bool cb_rune_is_print(uint32_t r);

/*
 * Go's unicode.ToLower and unicode.ToUpper: the simple (one rune to one
 * rune) case mappings of UnicodeData.txt, without SpecialCasing.txt, so
 * U+0130 lowers to 'i', U+00DF stays itself in uppercase and U+1F80 uppers
 * to U+1F88.  A rune without a mapping, or a value that is no rune, comes
 * back unchanged.
 */
uint32_t cb_rune_to_lower(uint32_t r);
uint32_t cb_rune_to_upper(uint32_t r);

/*
 * Append Go's strconv.Quote(s[0:len]): double-quoted, with \a \b \f \n \r \t
 * \v \\ \", \xNN for bytes that are not valid UTF-8, and \u/\U escapes for
 * runes that are not printable.
 */
void cb_strbuf_add_goquote(struct cb_strbuf *sb, const char *s, size_t len);

extern const struct cb_rune_range cb_unicode_letter[], cb_unicode_digit[], cb_unicode_space[],
	cb_unicode_print[];
extern const size_t cb_unicode_letter_len, cb_unicode_digit_len, cb_unicode_space_len,
	cb_unicode_print_len;
extern const struct cb_case_range cb_unicode_to_lower[], cb_unicode_to_upper[];
extern const size_t cb_unicode_to_lower_len, cb_unicode_to_upper_len;

#endif
