/*
 * sqlfunc.c - SQL functions over event_regs.entry (SCHEMA.md "events,
 * event_regs"): vmt_reg(entry, 'name') and vmt_field(entry, 'name') decode
 * the raw ring entry with format/'s decoder table; vmt_entry(data, i,
 * columns...) takes entry i out of a reg_blocks block and puts back the
 * bytes the other columns hold (regmask.c); vmt_block_reg(regs, i, 'name')
 * reads a register of entry i of a block's regs column (the events view).
 * The name lookup is cached per statement with sqlite3_set_auxdata(), the
 * last block decoded per connection and function.
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

/* Column id of the name in argument @a for a name table of @n entries,
 * or -1. */
static int name_id(sqlite3_context *ctx, sqlite3_value **argv, int a,
		   const char *(*name_of)(int), int n)
{
	int *cached = sqlite3_get_auxdata(ctx, a);
	const char *name = (const char *)sqlite3_value_text(argv[a]);
	int id = -1;

	if (cached)
		return *cached;
	for (int i = 0; name && i < n; i++)
		if (name_of(i) && !strcmp(name, name_of(i)))
			id = i;
	cached = malloc(sizeof(*cached));
	if (cached) {
		*cached = id;
		sqlite3_set_auxdata(ctx, a, cached, free);
	}
	return id;
}

static const char *reg_name(int i)
{
	return vmt_reg_name((enum vmt_reg)i);
}

static const char *block_reg_name(int j)
{
	return vmt_reg_name(vmt_block_regs[j]);
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
	int id = name_id(ctx, argv, 1, reg_name, VMT_REG_COUNT);

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
 * The last encoded block a function opened: a query walks the events of
 * a block one after the other, so each block is decoded once.  The block
 * is known by its encoded bytes, which are kept for the comparison.
 */
struct zcache {
	uint8_t *z, *raw;
	size_t zlen, zcap, rawlen, rawcap;
	int (*decode)(struct zcache *c, const uint8_t *z, size_t zlen);
};

#define EHDR 5              /* length, back, mask (SCHEMA.md) */
#define NCOLS (2 + VMT_MASK_N)  /* vmt_entry()'s arguments */

/* vmt_entry()'s: the last block's frame and where its entries start */
struct blkcache {
	struct zcache zc;
	uint32_t n;
	uint32_t *off;      /* entry i: raw + off[i], off[i+1] - off[i] - EHDR bytes */
	uint32_t offcap;
	struct vmt_regmask_cache masks;
	uint8_t out[VMT_RING_PAGE];
};

static void zcache_free(void *p)
{
	struct zcache *c = p;

	if (!c)
		return;
	free(c->z);
	free(c->raw);
	free(c);
}

static void blkcache_free(void *p)
{
	struct blkcache *c = p;

	if (!c)
		return;
	free(c->zc.z);
	free(c->zc.raw);
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
static int blk_index(struct blkcache *c)
{
	uint8_t *raw = c->zc.raw;
	size_t pos = 0, cap = c->offcap, rawlen = c->zc.rawlen;

	c->n = 0;
	while (pos + EHDR <= rawlen) {
		size_t len = vmt_get16(raw + pos), back = raw[pos + 2];

		if (pos + EHDR + len > rawlen || len > VMT_RING_PAGE || back > c->n ||
		    grow(&c->off, &cap, c->n + 2, sizeof(*c->off)))
			return -1;
		c->offcap = (uint32_t)cap;
		if (back) {
			size_t ref = c->off[c->n - back];
			size_t rlen = vmt_get16(raw + ref);

			for (size_t i = 0; i < len && i < rlen; i++)
				raw[pos + EHDR + i] ^= raw[ref + EHDR + i];
		}
		c->off[c->n++] = (uint32_t)pos;
		pos += EHDR + len;
	}
	if (pos != rawlen || grow(&c->off, &cap, c->n + 1, sizeof(*c->off)))
		return -1;
	c->off[c->n] = (uint32_t)pos;
	return 0;
}

/* A zstd frame of at most 16 MiB into c->raw. */
static int zstd_decode(struct zcache *c, const uint8_t *z, size_t zlen)
{
	unsigned long long raw = ZSTD_getFrameContentSize(z, zlen);
	size_t got;

	if (raw == ZSTD_CONTENTSIZE_ERROR || raw == ZSTD_CONTENTSIZE_UNKNOWN ||
	    raw > (1u << 24) || grow(&c->raw, &c->rawcap, raw ? raw : 1, 1))
		return -1;
	got = ZSTD_decompress(c->raw, c->rawcap, z, zlen);
	if (ZSTD_isError(got) || got != raw)
		return -1;
	c->rawlen = got;
	return 0;
}

/*
 * A regs column (SCHEMA.md "events, event_regs") into c->raw,
 * VMT_KR_BYTES an entry: each entry's values are its bytes XORed with
 * those of the entry it names (0 back: none).
 */
static int regs_decode(struct zcache *c, const uint8_t *z, size_t zlen)
{
	size_t pos = 0, n = 0;

	while (pos < zlen) {
		uint8_t *e, *ref;
		uint32_t nib;

		if (pos + 6 > zlen || z[pos + 1] > n ||
		    grow(&c->raw, &c->rawcap, (n + 1) * VMT_KR_BYTES, 1))
			return -1;
		e = c->raw + n * VMT_KR_BYTES;
		ref = z[pos + 1] ? e - z[pos + 1] * VMT_KR_BYTES : NULL;
		e[0] = z[pos];
		nib = vmt_get32(z + pos + 2);
		pos += 6;
		for (int j = 0; j < VMT_KR_N; j++) {
			unsigned w = nib >> 4 * j & 15;
			uint64_t x = 0;

			if (w > 8 || pos + w > zlen)
				return -1;
			for (unsigned b = 0; b < w; b++)
				x |= (uint64_t)z[pos + b] << 8 * b;
			pos += w;
			vmt_put64(e + 1 + 8 * j, x ^ (ref ? vmt_get64(ref + 1 + 8 * j) : 0));
		}
		n++;
	}
	c->rawlen = n * VMT_KR_BYTES;
	return 0;
}

/* Makes @z the cached block; 1 if it was decoded now, 0 if it was the
 * cached one already, -1 if it does not decode. */
static int zcache_open(struct zcache *c, const uint8_t *z, size_t zlen)
{
	if (c->zlen && zlen == c->zlen && !memcmp(z, c->z, zlen))
		return 0;
	c->zlen = 0;
	if (grow(&c->z, &c->zcap, zlen, 1) || c->decode(c, z, zlen))
		return -1;
	memcpy(c->z, z, zlen);
	c->zlen = zlen;
	return 1;
}

static int blk_open(struct blkcache *c, const uint8_t *z, size_t zlen)
{
	int rc = zcache_open(&c->zc, z, zlen);

	if (rc == 1 && blk_index(c))
		c->zc.zlen = 0;        /* not a block: never a cache hit */
	return rc < 0 || !c->zc.zlen ? -1 : 0;
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
	e = c->zc.raw + c->off[i];
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

/*
 * vmt_block_reg(regs, i, 'name'): a register of entry i of a reg_blocks
 * regs column; NULL if the event lacks it or the column does not reach
 * entry i.
 */
static void fn_block_reg(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	struct zcache *c = sqlite3_user_data(ctx);
	const uint8_t *z = sqlite3_value_blob(argv[0]), *e;
	int zlen = sqlite3_value_bytes(argv[0]);
	int64_t i = sqlite3_value_int64(argv[1]);
	int j = name_id(ctx, argv, 2, block_reg_name, VMT_KR_N);

	(void)argc;
	if (!z || zlen <= 0 || j < 0 || i < 0 || zcache_open(c, z, (size_t)zlen) < 0 ||
	    i >= (int64_t)(c->rawlen / VMT_KR_BYTES)) {
		sqlite3_result_null(ctx);
		return;
	}
	e = c->raw + i * VMT_KR_BYTES;
	if (e[0] >> j & 1)
		sqlite3_result_int64(ctx, (sqlite3_int64)vmt_get64(e + 1 + 8 * j));
	else
		sqlite3_result_null(ctx);
}

int vmt_sqlfunc_register(sqlite3 *db)
{
	int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
	struct blkcache *c = calloc(1, sizeof(*c));
	struct zcache *kc = calloc(1, sizeof(*kc));
	int rc;

	if (!c || !kc) {
		free(c);
		free(kc);
		return SQLITE_NOMEM;
	}
	c->zc.decode = zstd_decode;
	kc->decode = regs_decode;
	/* the caches are the connection's, freed with their functions (also
	 * when the registration fails) */
	rc = sqlite3_create_function_v2(db, "vmt_block_reg", 3, flags, kc,
					fn_block_reg, NULL, NULL, zcache_free);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function_v2(db, "vmt_entry", NCOLS, flags, c,
						fn_entry, NULL, NULL, blkcache_free);
	else
		blkcache_free(c);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function(db, "vmt_reg", 2, flags, NULL, fn_reg,
					     NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function(db, "vmt_field", 2, flags, NULL,
					     fn_field, NULL, NULL);
	return rc == SQLITE_OK ? vmt_vtab_register(db) : rc;
}
