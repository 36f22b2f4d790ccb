/*
 * dynlib.c - opening a library loaded on first use (dynlib.h).
 */
#include "dynlib.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

void *cb_dl_open(const char *env, const char *soname, const char **path, char why[CB_DL_WHY_MAX])
{
	const char *p = secure_getenv(env);
	void *h;

	if (!p || !*p)
		p = soname;
	*path = p;
	h = dlopen(p, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		const char *e = dlerror();

		snprintf(why, CB_DL_WHY_MAX, "load `%s`: %s", p, e ? e : "dlopen failed");
	}
	return h;
}

bool cb_dl_sym(void *h, const char *path, const char *name, void **slot, char why[CB_DL_WHY_MAX])
{
	const char *e;

	dlerror();
	*slot = dlsym(h, name);
	if (*slot)
		return true;
	e = dlerror();
	snprintf(why, CB_DL_WHY_MAX, "load `%s`: %s", path, e ? e : name);
	return false;
}
