/*
 * xenstore.c - xensim's libxenstore.so.4: just enough of xenstore for a
 * monitor to name its domain: /local/domain (the domain ids) and
 * /local/domain/<id>/{name,domid}.  Transactions are accepted and ignored.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <xenstore.h>

#include "client.h"

#define VALUE_MAX 4096

struct xs_handle {
	struct vmt_xsim_client c;
};

XSIM_EXPORT struct xs_handle *xs_open(unsigned long flags)
{
	return vmt_xsim_handle_new(sizeof(struct xs_handle), NULL);
}

XSIM_EXPORT struct xs_handle *xs_daemon_open(void)
{
	return xs_open(0);
}

XSIM_EXPORT void xs_close(struct xs_handle *xsh)
{
	vmt_xsim_handle_free(xsh);
}

XSIM_EXPORT void xs_daemon_close(struct xs_handle *xsh)
{
	xs_close(xsh);
}

/* Return: the reply's payload length, or -1 with errno. */
static int fetch(struct xs_handle *h, uint32_t op, const char *path,
		 char *buf)
{
	struct vmt_xsim_req q = { .op = op };
	struct vmt_xsim_rsp r;
	int rc;

	if (!h || !path || strlen(path) >= sizeof(q.path))
		return vmt_xsim_fail(-EINVAL);
	strcpy(q.path, path);
	rc = vmt_xsim_call(&h->c, &q, &r, buf, VALUE_MAX, NULL, NULL);
	if (rc)
		return vmt_xsim_fail(rc);
	return r.len > VALUE_MAX ? VALUE_MAX : (int)r.len;
}

XSIM_EXPORT void *xs_read(struct xs_handle *h, xs_transaction_t t,
			  const char *path, unsigned int *len)
{
	char buf[VALUE_MAX];
	int n = fetch(h, VMT_XSIM_OP_XS_READ, path, buf);

	if (n < 0)
		return NULL;
	size_t k = n ? strnlen(buf, (size_t)n) : 0;
	char *out = malloc(k + 1);
	if (!out)
		return NULL;
	memcpy(out, buf, k);
	out[k] = '\0';
	if (len)
		*len = (unsigned)k;
	return out;
}

/* One malloc'd block: the pointer array, then the strings (as Xen does,
 * so a single free() releases it). */
XSIM_EXPORT char **xs_directory(struct xs_handle *h, xs_transaction_t t,
				const char *path, unsigned int *num)
{
	char buf[VALUE_MAX];
	int n = fetch(h, VMT_XSIM_OP_XS_DIR, path, buf);
	unsigned count = 0;

	if (n < 0)
		return NULL;
	if (n > 0 && buf[n - 1] != '\0')
		buf[n++ - 1] = '\0';
	for (int i = 0; i < n; i++)
		count += buf[i] == '\0';
	char **out = malloc(count * sizeof(char *) + (size_t)n + 1);
	if (!out)
		return NULL;
	char *s = (char *)(out + count);
	memcpy(s, buf, (size_t)n);
	for (unsigned i = 0; i < count; i++) {
		out[i] = s;
		s += strlen(s) + 1;
	}
	*num = count;
	return out;
}
