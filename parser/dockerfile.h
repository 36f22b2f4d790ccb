/*
 * dockerfile.h - the Dockerfile front end: parser, shell-word expansion and
 * .dockerignore patterns.  Pure: no I/O, no global state; every function is
 * safe to call from parallel stages on different objects.
 *
 * Calling sequence for a build:
 *
 *	struct dockerfile *df = dockerfile_parse("Dockerfile", buf, len, &err);
 *	for (size_t i = 0; i < df->nstages; i++)
 *		for (each df->instrs[j] of df->stages[i])
 *			... expand words with shell_expand_word() at dispatch time ...
 *	dockerfile_free(df);
 *
 * Two layers, as in BuildKit:
 *   1. df_parse_ast() reads lines, directives, continuations and heredocs into
 *      an AST of df_node (BuildKit's parser.Node; df_ast_dump() prints its
 *      Dump() byte for byte).
 *   2. dockerfile_parse() turns the AST into typed instructions grouped into
 *      stages, with every flag parsed and checked.
 * Variables are not expanded here: that happens when the builder dispatches
 * each instruction, with the stage's ARG/ENV state.
 *
 * Errors follow common/error.h; messages read "NAME:LINE: message" where NAME
 * is the name given to the parse call, and err->line holds LINE.
 */
#ifndef CB_PARSER_DOCKERFILE_H
#define CB_PARSER_DOCKERFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "strbuf.h"

/* Lines longer than this are rejected (BuildKit's bufio.MaxScanTokenSize - 1). */
#define DF_MAX_LINE 65535

/* ------------------------------------------------------------------------ */
/* Layer 1: the AST                                                          */
/* ------------------------------------------------------------------------ */

struct df_heredoc {
	char *name;    /* the delimiter word, quotes removed */
	char *content; /* the raw body, each line with its newline; leading tabs kept */
	unsigned fd;   /* N of N<<WORD; 0 when absent */
	bool expand;   /* false when any part of the delimiter was quoted */
	bool chomp;    /* <<-: strip leading tabs when the content is used */
};

struct df_node {
	char *value;	      /* the instruction (as written) or one argument */
	size_t value_len;     /* its length: a JSON string may hold "\u0000" */
	struct df_node *next; /* the next argument */
	struct df_node **children;
	size_t nchildren;
	struct df_heredoc *heredocs;
	size_t nheredocs;
	bool json;		/* exec (JSON array) form */
	char *original;		/* the logical line, continuations joined */
	struct cb_strvec flags; /* "--name=value" words before the arguments */
	int start_line, end_line;
	struct cb_strvec prev_comment; /* comment lines directly above */
};

struct df_warning {
	int line;
	char *msg;
};

struct df_ast {
	struct df_node *root; /* root->children are the instructions */
	int escape;	      /* the escape token: '\\' or '`' */
	char *syntax;	      /* `# syntax=` value, NULL if absent */
	char *check;	      /* `# check=` value, NULL if absent */
	struct df_warning *warnings;
	size_t nwarnings;
};

/*
 * Parse buf[0:len] (need not be NUL-terminated).  name is used in error
 * messages ("Dockerfile").  Returns a new AST (free with df_ast_free) or NULL
 * with *err set.
 */
struct df_ast *df_parse_ast(const char *name, const char *buf, size_t len, struct cb_error **err);
void df_ast_free(struct df_ast *ast);

/* Append BuildKit's Node.Dump() of one node (an instruction). */
void df_node_dump(const struct df_node *node, struct cb_strbuf *out);
/* Append the dump of every instruction, one per line. */
void df_ast_dump(const struct df_ast *ast, struct cb_strbuf *out);

/*
 * BuildKit's parseWords: split rest into words on whitespace outside quotes,
 * keeping quotes and escapes.  Used by ENV/LABEL/ARG.
 */
void df_parse_words(const char *rest, int escape, struct cb_strvec *out);

/* ------------------------------------------------------------------------ */
/* Layer 2: typed instructions                                               */
/* ------------------------------------------------------------------------ */

enum df_kind {
	DF_ADD,
	DF_ARG,
	DF_CMD,
	DF_COPY,
	DF_ENTRYPOINT,
	DF_ENV,
	DF_EXPOSE,
	DF_FROM,
	DF_HEALTHCHECK,
	DF_LABEL,
	DF_MAINTAINER,
	DF_ONBUILD,
	DF_RUN,
	DF_SHELL,
	DF_STOPSIGNAL,
	DF_USER,
	DF_VOLUME,
	DF_WORKDIR,
	DF_KIND_COUNT
};

/* "ADD", "ARG", ...; NULL for an out-of-range kind. */
const char *df_kind_name(enum df_kind kind);

struct df_kv {
	char *key;
	char *value;   /* NULL for an ARG without a default */
	char *comment; /* ARG: "# NAME text" comment above, NULL if none */
};

/* A heredoc used as a COPY/ADD source. */
struct df_source_content {
	char *path; /* the heredoc name, used as the file name */
	char *data; /* chomped already when <<- was used */
	bool expand;
};

/* A heredoc attached to RUN/CMD/ENTRYPOINT. */
struct df_inline_file {
	char *name;
	char *data; /* raw; chomp applies when chomp is set */
	bool chomp;
};

/* RUN, CMD, ENTRYPOINT: exec form, or a single shell-form string. */
struct df_cmdline {
	struct cb_strvec args;
	bool prepend_shell; /* shell form: run args[0] with the stage's SHELL */
	struct df_inline_file *files;
	size_t nfiles;
};

enum df_mount_type { DF_MOUNT_BIND, DF_MOUNT_CACHE, DF_MOUNT_TMPFS, DF_MOUNT_SECRET, DF_MOUNT_SSH };
enum df_cache_sharing { DF_SHARING_SHARED, DF_SHARING_PRIVATE, DF_SHARING_LOCKED };

/*
 * One RUN --mount.  BuildKit checks only the CSV syntax and `from` (no
 * variables) when it parses a Dockerfile, and the rest when it dispatches
 * the step, so a bad mount in a stage the build never reaches is no error.
 * The parser does the same: when a value holds a variable (`target=$DIR`)
 * or the mount is wrong (`type=nope`), `deferred` is set and only `raw`
 * holds it; the builder expands `raw` with the stage's ARG/ENV and parses it
 * with df_mount_parse(), which reports the error then.
 */
struct df_mount {
	char *raw;     /* the --mount value as written */
	bool deferred; /* values hold variables: typed fields below are not set */
	enum df_mount_type type;
	char *from;   /* stage or image for bind/cache sources */
	char *source; /* path in `from` (bind, cache) */
	char *target; /* path in the container; may be NULL for secret/ssh */
	char *id;     /* cache id, secret id or ssh id */
	char *env;    /* secret: also expose as this environment variable */
	bool readonly;
	bool required; /* secret/ssh: fail when missing */
	enum df_cache_sharing sharing;
	long long mode; /* -1 when unset */
	long long uid;	/* -1 when unset */
	long long gid;	/* -1 when unset */
	long long size; /* tmpfs size in bytes, 0 when unset */
};

/* One RUN --device=NAME[,required[=BOOL]] (a CDI device, dockerfile 1-labs). */
struct df_device {
	char *name; /* NULL or "" when none was given: an error for the builder, not the parser */
	bool required;
};

enum df_network { DF_NET_DEFAULT, DF_NET_NONE, DF_NET_HOST };
enum df_security { DF_SECURITY_SANDBOX, DF_SECURITY_INSECURE };

struct df_run {
	struct df_cmdline cmdline;
	struct df_mount *mounts;
	size_t nmounts;
	struct df_device *devices;
	size_t ndevices;
	enum df_network network;
	enum df_security security;
};

/* COPY and ADD. */
struct df_copy {
	struct cb_strvec sources;	    /* paths/URLs, unexpanded */
	struct df_source_content *contents; /* heredoc sources */
	size_t ncontents;
	char *dest;
	char *from; /* COPY --from */
	char *chown;
	char *chmod;
	char *checksum; /* ADD --checksum */
	struct cb_strvec excludes;
	bool link;
	bool parents;
	int keep_git_dir; /* ADD --keep-git-dir: -1 unset, 0 false, 1 true */
	int unpack;	  /* ADD --unpack: -1 unset (default by source), 0 false, 1 true */
};

struct df_from {
	char *base;	/* image reference or stage name, unexpanded */
	char *name;	/* `AS name`, lowercased; NULL if none */
	char *platform; /* --platform, NULL if none */
	char *comment;	/* "# name text" comment above, NULL if none */
};

struct df_healthcheck {
	struct cb_strvec test; /* ["NONE"], ["CMD", argv...] or ["CMD-SHELL", cmd] */
	int64_t interval_ns, timeout_ns, start_period_ns, start_interval_ns; /* 0 = default */
	int retries;
};

struct df_instruction {
	enum df_kind kind;
	int start_line, end_line;
	const struct df_node *node; /* the AST node, owned by the dockerfile's AST */
	char *code;		    /* the source line, trimmed (history/cache key) */
	union {
		struct df_run run;
		struct df_cmdline cmd; /* CMD, ENTRYPOINT */
		struct df_copy copy;   /* COPY, ADD */
		struct df_from from;
		struct df_healthcheck health;
		struct {
			struct df_kv *items;
			size_t n;
		} kvs;		       /* ENV, LABEL, ARG */
		struct cb_strvec list; /* EXPOSE ports (sorted), VOLUME paths, SHELL argv */
		char *value;	       /* USER, WORKDIR, STOPSIGNAL, MAINTAINER, ONBUILD expr */
	} u;
};

struct df_stage {
	size_t from_index;   /* index of the FROM in dockerfile.instrs */
	size_t first, count; /* the instructions after FROM: instrs[first .. first+count) */
};

struct dockerfile {
	struct df_ast *ast;
	struct df_instruction *instrs; /* every instruction, in file order */
	size_t ninstrs;
	size_t nmeta_args; /* instrs[0 .. nmeta_args) are ARGs before the first FROM */
	struct df_stage *stages;
	size_t nstages;
};

/*
 * Parse a Dockerfile into typed instructions and stages.  Returns NULL with
 * *err set ("NAME:LINE: message") on any syntax error, unknown instruction
 * (with a "did you mean" suggestion), bad flag, or instruction outside a stage.
 */
struct dockerfile *dockerfile_parse(const char *name, const char *buf, size_t len,
				    struct cb_error **err);
void dockerfile_free(struct dockerfile *df);

/*
 * Parse instructions that need not form stages: ONBUILD trigger expressions,
 * documentation snippets, editor integrations.  Every instruction is checked
 * as in dockerfile_parse(); the result has nstages == 0 and nmeta_args == 0.
 */
struct dockerfile *dockerfile_parse_fragment(const char *name, const char *buf, size_t len,
					     struct cb_error **err);

/* The stage named name (case-insensitive; the last of a repeated name), or NULL.  Borrowed. */
const struct df_stage *dockerfile_stage_by_name(const struct dockerfile *df, const char *name);

/*
 * Parse a Go duration ("1m30s", "500ms", "0") into nanoseconds, as
 * time.ParseDuration does.  Used for HEALTHCHECK options.
 */
int df_parse_duration(const char *s, int64_t *ns, struct cb_error **err);

/*
 * Parse one RUN --mount value ("type=cache,target=/x,...") into *m, checking
 * everything (dispatch time, after expansion).  On success the caller
 * releases m with df_mount_release().
 */
int df_mount_parse(const char *value, struct df_mount *m, struct cb_error **err);
/*
 * The parse-time pass (BuildKit's, with no expander): fails only for bad CSV
 * or a `from` holding a variable; otherwise fills *m, deferred when the value
 * holds variables or does not parse yet.
 */
int df_mount_parse_deferred(const char *value, struct df_mount *m, struct cb_error **err);
void df_mount_release(struct df_mount *m);

/* Parse one RUN --device value into *d (release with df_device_release). */
int df_device_parse(const char *value, struct df_device *d, struct cb_error **err);
void df_device_release(struct df_device *d);

/* ------------------------------------------------------------------------ */
/* Shell-word expansion (parser/shellword.c)                                 */
/* ------------------------------------------------------------------------ */

/*
 * BuildKit's shell.Lex: quote removal, escapes, $VAR / ${VAR} with the
 * modifiers :- - :+ + :? ? # ## % %% / //.  The environment is a vector of
 * "KEY=VALUE" strings (an entry without '=' is a variable set to ""); when a
 * key repeats the last one wins.
 */
struct shell_lex {
	int escape;		  /* escape token: '\\' (default) or '`' */
	bool raw_quotes;	  /* keep quote characters in the result */
	bool raw_escapes;	  /* keep escape tokens in the result */
	bool skip_process_quotes; /* quotes are ordinary characters */
	bool skip_unset_env;	  /* leave references to unset variables as written */
	/*
	 * Bound on the result and on every expansion inside it, in bytes
	 * (BuildKit has none); 0 = 4 MiB.  Past it: "expansion larger than N
	 * bytes".  The fuzz target sets a small one to stay fast.
	 */
	size_t max_result;
};

#define SHELL_LEX_INIT                                                                             \
	{                                                                                          \
		'\\', false, false, false, false, 0                                                \
	}

struct shell_result {
	char *word;		    /* the single-word result (ProcessWord) */
	struct cb_strvec words;	    /* the field-split result (ProcessWords) */
	struct cb_strvec matched;   /* variables referenced and set, sorted, unique */
	struct cb_strvec unmatched; /* variables referenced and unset, sorted, unique */
};

/*
 * Expand word.  On success fills *res (release with shell_result_release).
 * On failure (bad substitution, unterminated quote, ${X?msg}, bad pattern)
 * sets *err to "failed to process \"WORD\": reason".
 */
int shell_expand(const struct shell_lex *lex, const char *word, const struct cb_strvec *env,
		 struct shell_result *res, struct cb_error **err);
void shell_result_release(struct shell_result *res);

/* ProcessWord: the expanded single word (caller frees), or NULL with *err set. */
char *shell_expand_word(const struct shell_lex *lex, const char *word, const struct cb_strvec *env,
			struct cb_error **err);

/* ProcessWords: append the fields to *out. */
int shell_expand_words(const struct shell_lex *lex, const char *word, const struct cb_strvec *env,
		       struct cb_strvec *out, struct cb_error **err);

/* ------------------------------------------------------------------------ */
/* .dockerignore (parser/dockerignore.c)                                     */
/* ------------------------------------------------------------------------ */

/*
 * Read a .dockerignore file's content (moby/patternmatcher ignorefile.ReadAll):
 * strip a BOM, skip '#' comment lines, trim, handle the '!' prefix, clean the
 * path and strip one leading '/'.  Appends the patterns to *out.
 */
int dockerignore_read(const char *buf, size_t len, struct cb_strvec *out, struct cb_error **err);

struct ignore_matcher;

/*
 * Compile patterns (moby/patternmatcher.New).  Returns NULL with *err set for
 * a pattern that filepath.Match refuses ("bad .dockerignore pattern `P`:
 * syntax error in pattern") or a lone "!".  A pattern whose regexp Go cannot
 * compile (`\3`) is accepted here and is an error when a match uses it, as
 * in patternmatcher, which compiles lazily and skips patterns that cannot
 * change the result.
 */
struct ignore_matcher *ignore_matcher_new(const struct cb_strvec *patterns, struct cb_error **err);
void ignore_matcher_free(struct ignore_matcher *m);

/* True when any pattern is an exclusion ("!pattern"). */
bool ignore_matcher_has_exclusions(const struct ignore_matcher *m);

/*
 * MatchesOrParentMatches: is path (slash-separated, relative to the context)
 * excluded from the context?  A pattern matching a parent directory matches
 * its children; later patterns override earlier ones; '!' re-includes.
 * Returns 1 (excluded) or 0, or -1 with *err set when a bad pattern is used.
 */
int ignore_matcher_matches(const struct ignore_matcher *m, const char *path, struct cb_error **err);

/*
 * For a directory walker (MatchesUsingParentResults): per-pattern results of
 * the parent directory, so each path is matched once.  Start with
 * ignore_parent_init() for the context root; after matching a directory keep
 * its `out` info to pass for its children.
 */
struct ignore_parent_info {
	bool *matched; /* one per pattern; owned */
	size_t n;
};
void ignore_parent_init(struct ignore_parent_info *info);
void ignore_parent_release(struct ignore_parent_info *info);
/* 1, 0 or -1 as ignore_matcher_matches (on -1, *out holds no info). */
int ignore_matcher_matches_parent(const struct ignore_matcher *m, const char *path,
				  const struct ignore_parent_info *parent,
				  struct ignore_parent_info *out, struct cb_error **err);

#endif
