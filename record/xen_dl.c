/*
 * xen_dl.c - fills struct vmt_xen (xen_api.h) with dlopen/dlsym.
 *
 * Each library is tried under the sonames of Xen 4.6 to today, newest
 * first, then under its unversioned development name.  Required symbols are
 * checked once here, so the rest of the recorder can call them blindly.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "xen_api.h"

/* Sonames by library; libxenctrl changed its soname with every release. */
static const char *const ctrl_names[] = {
	"libxenctrl.so.4.22", "libxenctrl.so.4.21", "libxenctrl.so.4.20",
	"libxenctrl.so.4.19", "libxenctrl.so.4.18", "libxenctrl.so.4.17",
	"libxenctrl.so.4.16", "libxenctrl.so.4.15", "libxenctrl.so.4.14",
	"libxenctrl.so.4.13", "libxenctrl.so.4.12", "libxenctrl.so.4.11",
	"libxenctrl.so.4.10", "libxenctrl.so.4.9", "libxenctrl.so.4.8",
	"libxenctrl.so.4.7", "libxenctrl.so.4.6", "libxenctrl.so", NULL
};
static const char *const evtchn_names[] = {
	"libxenevtchn.so.1", "libxenevtchn.so", NULL
};
static const char *const store_names[] = {
	"libxenstore.so.4", "libxenstore.so.3.0", "libxenstore.so", NULL
};

static const struct {
	const char *const *names;
	int required;
} libs[VMT_LIB_COUNT] = {
	[VMT_LIB_CTRL] = { ctrl_names, 1 },
	[VMT_LIB_EVTCHN] = { evtchn_names, 1 },
	[VMT_LIB_STORE] = { store_names, 0 },
};

static const struct {
	enum vmt_xen_lib lib;
	const char *name;
	size_t off;
	int required;
} syms[] = {
#define VMT_XEN_SYM(l, n, r) { l, #n, offsetof(struct vmt_xen, n), r },
	VMT_XEN_SYMBOLS(VMT_XEN_SYM)
#undef VMT_XEN_SYM
};

/* Return the index in @names of the library opened, or -1. */
static void *open_lib(const char *dir, const char *const *names, int *which)
{
	char path[1024];

	for (*which = 0; names[*which]; ++*which) {
		const char *name = names[*which];
		if (dir)
			snprintf(path, sizeof(path), "%s/%s", dir, name);
		else
			snprintf(path, sizeof(path), "%s", name);
		/* RTLD_LOCAL: xensim's libraries must not capture the names
		 * of anything else loaded in this process. */
		void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
		if (h)
			return h;
	}
	return NULL;
}

void vmt_xen_unload(struct vmt_xen *x)
{
	for (int i = VMT_LIB_COUNT - 1; i >= 0; i--)
		if (x->lib[i])
			dlclose(x->lib[i]);
	memset(x, 0, sizeof(*x));
}

static int load_libs(struct vmt_xen *x, const char *libdir, char *why,
		     size_t whylen)
{
	for (int i = 0; i < VMT_LIB_COUNT; i++) {
		int which;
		x->lib[i] = open_lib(libdir, libs[i].names, &which);
		if (i == VMT_LIB_CTRL && x->lib[i]) {
			unsigned minor = 0;
			/* "libxenctrl.so.4.N"; the bare name: assume 4.17 */
			if (sscanf(libs[i].names[which], "libxenctrl.so.4.%u",
				   &minor) != 1)
				minor = 17;
			x->ctrl_release = VMT_XEN_REL(4u, minor);
		}
		if (!x->lib[i] && libs[i].required) {
			/* "libxenctrl.so.4.22" -> "libxenctrl.so*" */
			snprintf(why, whylen, "no %.*s* %s%s",
				 (int)(strstr(libs[i].names[0], ".so") -
				       libs[i].names[0] + 3),
				 libs[i].names[0], libdir ? "in " : "on this system",
				 libdir ? libdir : "");
			return -ENOENT;
		}
	}
	return 0;
}

int vmt_xen_load(struct vmt_xen *x, const char *libdir, char *why,
		 size_t whylen)
{
	memset(x, 0, sizeof(*x));
	if (libdir)
		snprintf(x->libdir, sizeof(x->libdir), "%s", libdir);
	int err = load_libs(x, libdir, why, whylen);
	for (size_t i = 0; !err && i < sizeof(syms) / sizeof(syms[0]); i++) {
		void *fn = x->lib[syms[i].lib] ?
				   dlsym(x->lib[syms[i].lib], syms[i].name) : NULL;
		if (!fn && syms[i].required) {
			snprintf(why, whylen, "%s lacks the symbol %s",
				 libs[syms[i].lib].names[0], syms[i].name);
			err = -ENOSYS;
			break;
		}
		/* dlsym returns data pointers; the table holds function
		 * pointers of the same representation on every ELF host. */
		memcpy((char *)x + syms[i].off, &fn, sizeof(fn));
	}
	if (err)
		vmt_xen_unload(x);
	return err;
}
