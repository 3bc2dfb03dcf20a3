/*
 * sqlfunc.c - SQL functions over event_regs.entry (SCHEMA.md "events,
 * event_regs"): vmt_reg(entry, 'name') and vmt_field(entry, 'name') decode
 * the raw ring entry with format/'s decoder table; vmt_entry(data, i,
 * columns...) takes entry i out of a reg_blocks block and puts back the
 * bytes its events columns hold (regmask.c).  The name lookup is cached per
 * statement with sqlite3_set_auxdata(), the last block decompressed per
 * connection.
 */
#ifdef VMT_SQLITE_EXT
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT3
#endif
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "replay_int.h"
#include "vmt_le.h"

/* Column id of @name for a name table of @n entries, or -1. */
static int name_id(sqlite3_context *ctx, sqlite3_value *arg,
		   const char *(*name_of)(int), int n)
{
	int *cached = sqlite3_get_auxdata(ctx, 1);
	const char *name = (const char *)sqlite3_value_text(arg);
	int id = -1;

	if (cached)
		return *cached;
	for (int i = 0; name && i < n; i++)
		if (name_of(i) && !strcmp(name, name_of(i)))
			id = i;
	cached = malloc(sizeof(*cached));
	if (cached) {
		*cached = id;
		sqlite3_set_auxdata(ctx, 1, cached, free);
	}
	return id;
}

static const char *reg_name(int i)
{
	return vmt_reg_name((enum vmt_reg)i);
}

/* vmt_field() names are per reason: find the field of this reason. */
static int pfield_for(const struct vmt_event *ev, const char *name)
{
	const struct vmt_detail *d = vmt_detail_of(ev->reason);

	for (int i = 0; name && i < d->nfields; i++)
		if (!strcmp(name, vmt_pfield_name(d->fields[i])))
			return d->fields[i];
	return -1;
}

static int decode_arg(sqlite3_value *v, struct vmt_event *ev)
{
	const void *p = sqlite3_value_blob(v);
	int n = sqlite3_value_bytes(v);

	return p && n > 0 ? vmt_event_decode(p, (size_t)n, ev) : -1;
}

static void fn_reg(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct vmt_event ev;
	int id = name_id(ctx, argv[1], reg_name, VMT_REG_COUNT);

	if (id < 0 || decode_arg(argv[0], &ev) || !(ev.reg_present >> id & 1))
		sqlite3_result_null(ctx);
	else
		sqlite3_result_int64(ctx, (sqlite3_int64)ev.reg[id]);
}

static void fn_field(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct vmt_event ev;
	int id;

	if (decode_arg(argv[0], &ev)) {
		sqlite3_result_null(ctx);
		return;
	}
	id = pfield_for(&ev, (const char *)sqlite3_value_text(argv[1]));
	if (id < 0 || !(ev.p_present >> id & 1))
		sqlite3_result_null(ctx);
	else
		sqlite3_result_int64(ctx, (sqlite3_int64)ev.p[id]);
}

/*
 * The last block vmt_entry() opened: a query walks the events of a block
 * one after the other, so each block is decompressed once.  The block is
 * known by its compressed bytes, which are kept for the comparison.
 */
#define EHDR 5              /* length, back, mask (SCHEMA.md) */
#define NCOLS (2 + VMT_MASK_N)  /* vmt_entry()'s arguments */

struct blkcache {
	uint8_t *z, *raw;
	size_t zlen, zcap, rawcap;
	uint32_t n;
	uint32_t *off;      /* entry i: raw + off[i], off[i+1] - off[i] - EHDR bytes */
	uint32_t offcap;
	struct vmt_regmask_cache masks;
	uint8_t out[VMT_RING_PAGE];
};

static void blkcache_free(void *p)
{
	struct blkcache *c = p;

	if (!c)
		return;
	free(c->z);
	free(c->raw);
	free(c->off);
	free(c);
}

static int grow(void *pp, size_t *cap, size_t need, size_t elem)
{
	void **p = pp, *n;

	if (need <= *cap)
		return 0;
	n = realloc(*p, need * elem);
	if (!n)
		return -1;
	*p = n;
	*cap = need;
	return 0;
}

/*
 * Indexes the entries and undoes the XOR of each with the entry it names
 * (one byte: how many entries back; 0 = none), decoded before it.
 */
static int blk_index(struct blkcache *c, size_t rawlen)
{
	size_t pos = 0, cap = c->offcap;

	c->n = 0;
	while (pos + EHDR <= rawlen) {
		size_t len = vmt_get16(c->raw + pos), back = c->raw[pos + 2];

		if (pos + EHDR + len > rawlen || len > VMT_RING_PAGE || back > c->n ||
		    grow(&c->off, &cap, c->n + 2, sizeof(*c->off)))
			return -1;
		c->offcap = (uint32_t)cap;
		if (back) {
			size_t ref = c->off[c->n - back];
			size_t rlen = vmt_get16(c->raw + ref);

			for (size_t i = 0; i < len && i < rlen; i++)
				c->raw[pos + EHDR + i] ^= c->raw[ref + EHDR + i];
		}
		c->off[c->n++] = (uint32_t)pos;
		pos += EHDR + len;
	}
	if (pos != rawlen || grow(&c->off, &cap, c->n + 1, sizeof(*c->off)))
		return -1;
	c->off[c->n] = (uint32_t)pos;
	return 0;
}

static int blk_open(struct blkcache *c, const uint8_t *z, size_t zlen)
{
	unsigned long long raw = ZSTD_getFrameContentSize(z, zlen);
	size_t got;

	if (c->n && zlen == c->zlen && !memcmp(z, c->z, zlen))
		return 0;
	c->n = 0;
	c->zlen = 0;
	if (raw == ZSTD_CONTENTSIZE_ERROR || raw == ZSTD_CONTENTSIZE_UNKNOWN ||
	    raw > (1u << 24) || grow(&c->raw, &c->rawcap, raw ? raw : 1, 1) ||
	    grow(&c->z, &c->zcap, zlen, 1))
		return -1;
	got = ZSTD_decompress(c->raw, c->rawcap, z, zlen);
	if (ZSTD_isError(got) || got != raw || blk_index(c, got))
		return -1;
	memcpy(c->z, z, zlen);
	c->zlen = zlen;
	return 0;
}

/*
 * vmt_entry(data, i, rip, rsp, cr3, rax, rbx, rcx, rdx, rsi, rdi, rflags,
 * p1, p2, p3, p4): entry i of a block, with the bytes the block left out
 * taken from the columns.
 */
static void fn_entry(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct blkcache *c = sqlite3_user_data(ctx);
	const uint8_t *z = sqlite3_value_blob(argv[0]), *e;
	int zlen = sqlite3_value_bytes(argv[0]);
	int64_t i = sqlite3_value_int64(argv[1]);
	uint64_t vals[VMT_MASK_N];
	uint16_t masked;
	size_t len;

	(void)argc;
	if (!z || zlen <= 0 || blk_open(c, z, (size_t)zlen) || i < 0 || i >= c->n) {
		sqlite3_result_null(ctx);
		return;
	}
	e = c->raw + c->off[i];
	len = c->off[i + 1] - c->off[i] - EHDR;
	masked = vmt_get16(e + 3);
	memcpy(c->out, e + EHDR, len);
	for (int k = 0; k < VMT_MASK_N; k++) {
		if (sqlite3_value_type(argv[2 + k]) == SQLITE_NULL)
			masked &= (uint16_t)~(1u << k);
		vals[k] = (uint64_t)sqlite3_value_int64(argv[2 + k]);
	}
	if (masked && len >= 12)
		vmt_regmask_fill(vmt_regmask_of(&c->masks, vmt_get32(c->out),
						vmt_get32(c->out + 8)),
				 c->out, len, vals, masked);
	sqlite3_result_blob(ctx, c->out, (int)len, SQLITE_TRANSIENT);
}

int vmt_sqlfunc_register(sqlite3 *db)
{
	int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
	struct blkcache *c = calloc(1, sizeof(*c));
	int rc;

	if (!c)
		return SQLITE_NOMEM;
	/* the cache is the connection's, freed with the function */
	rc = sqlite3_create_function_v2(db, "vmt_entry", NCOLS, flags, c, fn_entry,
					NULL, NULL, blkcache_free);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function(db, "vmt_reg", 2, flags, NULL, fn_reg,
					     NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function(db, "vmt_field", 2, flags, NULL,
					     fn_field, NULL, NULL);
	return rc == SQLITE_OK ? vmt_vtab_register(db) : rc;
}
