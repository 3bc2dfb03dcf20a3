/*
 * spill.c - a run's counts moved out of memory for a diff: sorted by key
 * into an unlinked temporary file that a diff reads in key order, one
 * cursor per run (compare.c).  A diff of many runs then holds a read buffer
 * per run instead of every run's table, whose size is runs x distinct
 * behaviours.  The file is this process's scratch, gone when it closes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analyze_int.h"

#define SPILL_BUFFER (32u * 1024)

int vmt_an_key_cmp(const struct vmt_an_bkey *a, const struct vmt_an_bkey *b)
{
	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->reason != b->reason)
		return a->reason < b->reason ? -1 : 1;
	if (a->b != b->b)
		return a->b < b->b ? -1 : 1;
	return (a->a > b->a) - (a->a < b->a);
}

static int cmp_entries(const void *pa, const void *pb)
{
	const struct vmt_an_entry *a = pa, *b = pb;
	int c = vmt_an_key_cmp(&a->key, &b->key);

	return c ? c : (a->phase > b->phase) - (a->phase < b->phase);
}

const char *vmt_an_spill_dir(void)
{
	const char *dir = getenv("TMPDIR");

	return dir && *dir ? dir : "/tmp";
}

FILE *vmt_an_scratch(void)
{
	const char *dir = vmt_an_spill_dir();
	char path[4096];
	FILE *f;
	int fd;

	if ((size_t)snprintf(path, sizeof(path), "%s/vmtrail-diff.XXXXXX", dir) >= sizeof(path))
		return NULL;
	fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	unlink(path);
	f = fdopen(fd, "w+b");
	if (!f) {
		close(fd);
		return NULL;
	}
	setvbuf(f, NULL, _IOFBF, SPILL_BUFFER);
	return f;
}

int vmt_an_spill(struct vmt_an_run *r)
{
	struct vmt_an_tab *t = &r->tab;
	struct vmt_an_spill *s = &r->spill;
	size_t m = 0;

	if (s->f)
		return 0;
	s->f = vmt_an_scratch();
	if (!s->f)
		return errno ? -errno : -EIO;
	for (size_t j = 0; j < t->cap; j++) /* packed in place: no second copy */
		if (t->slot[j].count)
			t->slot[m++] = t->slot[j];
	if (m)
		qsort(t->slot, m, sizeof(*t->slot), cmp_entries);
	if ((m && fwrite(t->slot, sizeof(*t->slot), m, s->f) != m) || fflush(s->f)) {
		vmt_an_tab_free(t);
		vmt_an_spill_close(s);
		return -EIO;
	}
	vmt_an_tab_free(t);
	s->entries = m;
	return vmt_an_spill_rewind(s);
}

int vmt_an_spill_rewind(struct vmt_an_spill *s)
{
	s->sought = 0;
	s->have = 0;
	if (fseek(s->f, 0, SEEK_SET))
		s->err = -EIO;
	return s->err;
}

int vmt_an_spill_next(struct vmt_an_spill *s, struct vmt_an_entry *e)
{
	if (s->have) {
		*e = s->cur;
		s->have = 0;
		return 1;
	}
	if (s->err)
		return s->err;
	if (fread(e, sizeof(*e), 1, s->f) == 1)
		return 1;
	if (ferror(s->f))
		return s->err = -EIO;
	return 0;
}

int vmt_an_spill_peek(struct vmt_an_spill *s, const struct vmt_an_entry **e)
{
	int got = s->have;

	if (!got && (got = vmt_an_spill_next(s, &s->cur)) > 0)
		s->have = 1;
	*e = &s->cur;
	return got;
}

/*
 * Keys are sought in ascending order within a sweep; a key at or below the
 * last one sought starts a new sweep from the top.
 */
void vmt_an_spill_find(struct vmt_an_spill *s, const struct vmt_an_bkey *k,
		       uint64_t *count, size_t phases)
{
	struct vmt_an_entry e;

	memset(count, 0, phases * sizeof(*count));
	if ((!s->sought || vmt_an_key_cmp(k, &s->last) <= 0) && vmt_an_spill_rewind(s))
		return;
	s->sought = 1;
	s->last = *k;
	while (vmt_an_spill_next(s, &e) > 0) {
		int c = vmt_an_key_cmp(&e.key, k);

		if (c > 0) { /* the first entry past the key: the next search's */
			s->cur = e;
			s->have = 1;
			return;
		}
		if (!c && e.phase < phases)
			count[e.phase] = e.count;
	}
}

void vmt_an_spill_close(struct vmt_an_spill *s)
{
	if (s->f)
		fclose(s->f);
	memset(s, 0, sizeof(*s));
}
