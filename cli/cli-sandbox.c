/*
 * cli-sandbox.c - the sandbox options `run` and `build` share, read as
 * docker reads them: --cpus and --security-opt.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fsutil.h"
#include "runtime.h"

int cli_parse_cpus(const char *s, struct runtime_limits *l)
{
	uint64_t whole = 0, frac = 0, scale = 100000;
	const char *p = s;

	for (; *p >= '0' && *p <= '9'; p++)
		whole = whole * 10 + (uint64_t)(*p - '0');
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++)
			if (scale > 1) {
				scale /= 10;
				frac += (uint64_t)(*p - '0') * scale;
			}
	if (*p || p == s || whole > 1024 || (!whole && !frac))
		return -1;
	l->cpu_period = 100000;
	l->cpu_quota = (int64_t)(whole * 100000 + frac);
	return 0;
}

int cli_parse_security_opt(const char *arg, struct cli_security *sec, struct cb_error **err)
{
	if (!strcmp(arg, "seccomp=unconfined") || !strcmp(arg, "seccomp:unconfined")) {
		sec->seccomp = RUNTIME_SECCOMP_UNCONFINED;
		return 0;
	}
	if (!strncmp(arg, "seccomp=", 8) || !strncmp(arg, "seccomp:", 8)) {
		free(sec->profile);
		sec->profile = NULL;
		if (cb_read_file(arg + 8, 1u << 20, &sec->profile, NULL, err) < 0)
			return cb_error_wrap(err, "seccomp profile");
		sec->seccomp = RUNTIME_SECCOMP_PROFILE;
		return 0;
	}
	if (!strcmp(arg, "no-new-privileges") || !strcmp(arg, "no-new-privileges=true") ||
	    !strcmp(arg, "no-new-privileges:true")) {
		sec->no_new_privileges = true;
		return 0;
	}
	if (!strcmp(arg, "no-new-privileges=false") || !strcmp(arg, "no-new-privileges:false")) {
		sec->no_new_privileges = false;
		return 0;
	}
	return cb_error_set(err, 0, "unsupported --security-opt `%s`", arg);
}
