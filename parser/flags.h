/*
 * flags.h - instruction flag parsing (parser-internal).
 *
 *	struct df_flags f = { 0 };
 *	struct df_flag *chown = df_flags_add_string(&f, "chown", "");
 *	if (df_flags_parse(&f, &node->flags, err) < 0) ...
 *	... chown->value ...
 *	df_flags_release(&f);
 *
 * Values point into the parsed words (borrowed from the AST node) and live as
 * long as the node; `values` of a strings flag are owned by the df_flags.
 */
#ifndef CB_PARSER_FLAGS_H
#define CB_PARSER_FLAGS_H

#include "parser-internal.h"

#define DF_MAX_FLAGS 8

enum df_flag_type { DF_FLAG_BOOL, DF_FLAG_STRING, DF_FLAG_STRINGS };

struct df_flag {
	const char *name;
	enum df_flag_type type;
	bool used;
	const char *value;	 /* bool: "true"/"false"; string: the value */
	struct cb_strvec values; /* strings: every value, in order */
};

struct df_flags {
	struct df_flag defs[DF_MAX_FLAGS];
	size_t n;
};

struct df_flag *df_flags_add_string(struct df_flags *f, const char *name, const char *def);
struct df_flag *df_flags_add_bool(struct df_flags *f, const char *name);
struct df_flag *df_flags_add_strings(struct df_flags *f, const char *name);
int df_flags_parse(struct df_flags *f, const struct cb_strvec *args, struct cb_error **err);
void df_flags_release(struct df_flags *f);

bool df_flag_true(const struct df_flag *fl);

/* A copy of a string flag's value, NULL when empty. */
char *df_flag_dup(const struct df_flag *fl);

#endif
