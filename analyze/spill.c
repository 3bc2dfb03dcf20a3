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

int vmt_an_entry_cmp(const void *pa, const void *pb)
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

int vmt_an_scratch(FILE **out)
{
	const char *dir = vmt_an_spill_dir();
	char path[4096];
	int fd, err;

	*out = NULL;
	if ((size_t)snprintf(path, sizeof(path), "%s/vmtrail-diff.XXXXXX", dir) >= sizeof(path))
		return -ENAMETOOLONG;
	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	unlink(path);
	*out = fdopen(fd, "w+b");
	if (!*out) {
		err = -errno;
		close(fd);
		return err;
	}
	setvbuf(*out, NULL, _IOFBF, SPILL_BUFFER);
	return 0;
}

int vmt_an_spill(struct vmt_an_run *r)
{
	struct vmt_an_tab *t = &r->tab;
	struct vmt_an_spill *s = &r->spill;
	size_t m = 0;
	int err;

	if (s->f)
		return 0;
	if ((err = vmt_an_scratch(&s->f)))
		return err;
	for (size_t j = 0; j < t->cap; j++) /* packed in place: no second copy */
		if (t->slot[j].count)
			t->slot[m++] = t->slot[j];
	if (m)
		qsort(t->slot, m, sizeof(*t->slot), vmt_an_entry_cmp);
	if ((m && fwrite(t->slot, sizeof(*t->slot), m, s->f) != m) || fflush(s->f)) {
		vmt_an_tab_free(t);
		vmt_an_spill_close(s);
		return -EIO;
	}
	vmt_an_tab_free(t);
	s->entries = m;
	return vmt_an_spill_rewind(s);
}

/* Whether @kept (a spill of keys, none of whose counts is 0) holds @k. */
static int kept_has(struct vmt_an_spill *kept, const struct vmt_an_bkey *k)
{
	uint64_t n;

	vmt_an_spill_find(kept, k, &n, 1);
	return n > 0;
}

/* One key's counts by phase to @s, folded and pooled as
 * vmt_an_spill_sorted() says. */
static void put_key(struct vmt_an_spill *s, const struct vmt_an_bkey *k, uint64_t *n,
		    uint64_t *rare, size_t width, int fold, struct vmt_an_spill *kept)
{
	for (size_t p = 1; fold && p < width; p++)
		n[0] += n[p];
	if (kept && k->kind == VMT_AN_KEY && !kept_has(kept, k)) {
		for (size_t p = 0; p < width; p++)
			rare[p] += n[p];
		memset(n, 0, width * sizeof(*n));
		return;
	}
	for (size_t p = 0; p < width && !s->err; p++) {
		struct vmt_an_entry e = { *k, (uint32_t)p, n[p] };

		if (n[p] && fwrite(&e, sizeof(e), 1, s->f) != 1)
			s->err = -EIO;
		s->entries += n[p] > 0;
	}
	memset(n, 0, width * sizeof(*n));
}

int vmt_an_spill_sorted(struct vmt_an_spill *s, struct vmt_an_sort *in, size_t width,
			int fold, struct vmt_an_spill *kept)
{
	static const struct vmt_an_bkey rare_key = { VMT_AN_RARE, 0, 0, 0 };
	uint64_t *n = calloc(width, sizeof(*n)), *rare = calloc(width, sizeof(*rare));
	struct vmt_an_entry e;
	struct vmt_an_bkey k;
	int have = 0, got = 0, err;

	memset(s, 0, sizeof(*s));
	err = n && rare ? vmt_an_scratch(&s->f) : -ENOMEM;
	if (err) {
		free(n);
		free(rare);
		return err;
	}
	while (!s->err && (got = vmt_an_sort_next(in, &e)) > 0) {
		if (e.phase >= width) {
			got = -EIO;
			break;
		}
		if (have && vmt_an_key_cmp(&e.key, &k))
			put_key(s, &k, n, rare, width, fold, kept);
		k = e.key;
		have = 1;
		n[e.phase] += e.count;
	}
	if (have && !s->err)
		put_key(s, &k, n, rare, width, fold, kept);
	if (!s->err) /* the pooled keys last: their kind sorts last */
		put_key(s, &rare_key, rare, n, width, 0, NULL);
	err = got < 0 ? got : s->err ? s->err : kept && kept->err ? kept->err : 0;
	free(n);
	free(rare);
	if (!err && fflush(s->f))
		err = -EIO;
	if (err) {
		vmt_an_spill_close(s);
		return err;
	}
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
