/*
 * sink_perfetto.c - a native Perfetto trace (SCHEMA.md "Streams"): the
 * protobuf TracePacket stream of the public perfetto_trace.proto, which
 * ui.perfetto.dev and trace_processor open.  The domain is a process
 * track; each vCPU a child track with an instant per event (its fields as
 * typed 64-bit debug annotations) and a slice per CR3 residency; below it
 * the track of the vCPU's pauses: an event that paused the vCPU is a slice
 * there, from the request to the response that unpaused it.  Markers are
 * instants on the domain's track.  Timestamps are the trace's integer ns.
 *
 * The encoding is written here by hand: a dozen varint and length-
 * delimited fields, no dependency, no allocation per record (protobuf-c
 * would add a library and its generated code to build one message tree
 * per packet).  Names repeated on every event (reasons, arg names,
 * categories) are interned once at the start of the sequence.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "replay_int.h"

/* Field numbers of perfetto_trace.proto, the only ones written. */
enum {
	TRACE_PACKET = 1,
	TP_TIMESTAMP = 8, TP_SEQ_ID = 10, TP_TRACK_EVENT = 11,
	TP_INTERNED = 12, TP_SEQ_FLAGS = 13, TP_TRACK_DESC = 60,
	TD_UUID = 1, TD_NAME = 2, TD_PROCESS = 3, TD_PARENT = 5,
	PD_PID = 1, PD_NAME = 6,
	TE_CATEGORY_IIDS = 3, TE_ANNOTATION = 4, TE_TYPE = 9, TE_NAME_IID = 10,
	TE_TRACK = 11, TE_NAME = 23,
	DA_NAME_IID = 1, DA_UINT = 3, DA_POINTER = 7,
	ID_CATEGORIES = 1, ID_NAMES = 2, ID_ANNOTATION_NAMES = 3,
	IN_IID = 1, IN_NAME = 2,
};
enum { SLICE_BEGIN = 1, SLICE_END = 2, INSTANT = 3 };
enum { SEQ_CLEARED = 1, SEQ_NEEDS_STATE = 2 };
enum { WT_VARINT = 0, WT_LEN = 2 };

/* Interned ids.  Event names: reason r is r + 1, "unknown" after them.
 * Annotation names: seq, reason, flags, the key registers, then the
 * payload fields. */
enum { CAT_EVENT = 1, CAT_CR3, CAT_MARKER };
#define NAME_UNKNOWN (VMT_REASON_COUNT + 1)
enum { ANN_SEQ = 1, ANN_REASON, ANN_FLAGS, ANN_REG0 };
#define ANN_P0 (ANN_REG0 + (int)VMT_ARRAY_SIZE(vmt_key_regs))

/* Track uuids: the domain, then two per vCPU (its own, its waits). */
#define TRACK_DOMAIN 1
#define MAX_VCPUS 4096
static uint64_t vcpu_track(uint32_t v) { return 16 + 2 * (uint64_t)v; }
static uint64_t wait_track(uint32_t v) { return 17 + 2 * (uint64_t)v; }

/* A message under construction; nested ones are built in their own pb
 * and copied into the parent with their length. */
struct pb {
	uint8_t *b;
	size_t n, cap;
	int overflow;
};

static void pb_byte(struct pb *p, uint8_t c)
{
	if (p->n < p->cap)
		p->b[p->n++] = c;
	else
		p->overflow = 1;
}

static void pb_varint(struct pb *p, uint64_t v)
{
	for (; v >= 0x80; v >>= 7)
		pb_byte(p, (uint8_t)(v | 0x80));
	pb_byte(p, (uint8_t)v);
}

static void pb_uint(struct pb *p, unsigned field, uint64_t v)
{
	pb_varint(p, (uint64_t)field << 3 | WT_VARINT);
	pb_varint(p, v);
}

static void pb_bytes(struct pb *p, unsigned field, const void *s, size_t n)
{
	pb_varint(p, (uint64_t)field << 3 | WT_LEN);
	pb_varint(p, n);
	if (p->n + n > p->cap) {
		p->overflow = 1;
		return;
	}
	memcpy(p->b + p->n, s, n);
	p->n += n;
}

/* Text from the trace as a protobuf string, which must be UTF-8: each byte
 * outside well-formed UTF-8 becomes U+FFFD, as in every JSON output. */
static void pb_text(struct pb *p, unsigned field, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t out = 0, len;

	for (size_t i = 0; i < n; i += len ? len : 1)
		out += (len = vmt_utf8_seq(u + i, n - i)) ? len : 3;
	pb_varint(p, (uint64_t)field << 3 | WT_LEN);
	pb_varint(p, out);
	for (size_t i = 0; i < n; i += len ? len : 1) {
		len = vmt_utf8_seq(u + i, n - i);
		for (size_t k = 0; k < len; k++)
			pb_byte(p, u[i + k]);
		if (!len) {
			pb_byte(p, 0xef);
			pb_byte(p, 0xbf);
			pb_byte(p, 0xbd);
		}
	}
}

static void pb_str(struct pb *p, unsigned field, const char *s)
{
	pb_text(p, field, s, strlen(s));
}

static void pb_msg(struct pb *p, unsigned field, const struct pb *m)
{
	p->overflow |= m->overflow;
	pb_bytes(p, field, m->b, m->n);
}

/* The largest packet: the interned names, or a marker of 4 KiB text. */
#define PKT_CAP 16384

struct perfetto_ctx {
	FILE *out;
	struct {
		uint64_t cr3, last;
		uint8_t open, paused, described;
	} *v;
	uint8_t pkt_b[PKT_CAP], te_b[PKT_CAP], sub_b[PKT_CAP];
	struct pb pkt, te, sub;
};

static void reset(struct pb *p, uint8_t *b)
{
	*p = (struct pb){ b, 0, PKT_CAP, 0 };
}

/* Writes the packet @body as one Trace.packet entry. */
static int emit(struct perfetto_ctx *c, struct pb *body)
{
	uint8_t head[16];
	struct pb h = { head, 0, sizeof(head), 0 };

	if (body->overflow)
		return -E2BIG;
	pb_varint(&h, (uint64_t)TRACE_PACKET << 3 | WT_LEN);
	pb_varint(&h, body->n);
	fwrite(head, 1, h.n, c->out);
	fwrite(body->b, 1, body->n, c->out);
	return ferror(c->out) ? -EIO : 0;
}

/* Starts a packet of the sequence at @ts with an empty track event;
 * @interned: it refers to interned names (a slice end does not). */
static void begin(struct perfetto_ctx *c, uint64_t ts, int interned)
{
	reset(&c->pkt, c->pkt_b);
	reset(&c->te, c->te_b);
	pb_uint(&c->pkt, TP_TIMESTAMP, ts);
	pb_uint(&c->pkt, TP_SEQ_ID, 1);
	if (interned)
		pb_uint(&c->pkt, TP_SEQ_FLAGS, SEQ_NEEDS_STATE);
}

static int finish(struct perfetto_ctx *c)
{
	pb_msg(&c->pkt, TP_TRACK_EVENT, &c->te);
	return emit(c, &c->pkt);
}

/* @cat 0: none (a slice end takes its begin's). */
static void te_head(struct perfetto_ctx *c, int type, uint64_t track, int cat)
{
	pb_uint(&c->te, TE_TYPE, (uint64_t)type);
	pb_uint(&c->te, TE_TRACK, track);
	if (cat)
		pb_uint(&c->te, TE_CATEGORY_IIDS, (uint64_t)cat);
}

static int slice_close(struct perfetto_ctx *c, uint64_t track, uint64_t ts)
{
	begin(c, ts, 0);
	te_head(c, SLICE_END, track, 0);
	return finish(c);
}

static void annotate(struct perfetto_ctx *c, int name_iid, int field, uint64_t v)
{
	reset(&c->sub, c->sub_b);
	pb_uint(&c->sub, DA_NAME_IID, (uint64_t)name_iid);
	pb_uint(&c->sub, (unsigned)field, v);
	pb_msg(&c->te, TE_ANNOTATION, &c->sub);
}

static void interned(struct pb *id, struct pb *tmp, unsigned field,
		     uint64_t iid, const char *name)
{
	tmp->n = 0;
	pb_uint(tmp, IN_IID, iid);
	pb_str(tmp, IN_NAME, name);
	pb_msg(id, field, tmp);
}

/* The sequence's first packet: every interned name. */
static int intern_all(struct perfetto_ctx *c)
{
	static const char *const cats[] = { NULL, "vm_event", "cr3", "marker" };
	static const char *const fixed[] = { NULL, "seq", "reason", "flags" };
	struct pb *id = &c->te, *tmp = &c->sub;
	char nb[64];

	reset(&c->pkt, c->pkt_b);
	reset(id, c->te_b);
	reset(tmp, c->sub_b);
	for (int i = CAT_EVENT; i <= CAT_MARKER; i++)
		interned(id, tmp, ID_CATEGORIES, (uint64_t)i, cats[i]);
	for (uint32_t r = 0; r < VMT_REASON_COUNT; r++)
		if (vmt_reason_name(r))
			interned(id, tmp, ID_NAMES, r + 1, vmt_reason_name(r));
	interned(id, tmp, ID_NAMES, NAME_UNKNOWN, "unknown");
	for (int i = ANN_SEQ; i < ANN_REG0; i++)
		interned(id, tmp, ID_ANNOTATION_NAMES, (uint64_t)i, fixed[i]);
	for (size_t i = 0; i < VMT_ARRAY_SIZE(vmt_key_regs); i++)
		interned(id, tmp, ID_ANNOTATION_NAMES, ANN_REG0 + i,
			 vmt_reg_name(vmt_key_regs[i]));
	for (int f = 0; f < VMT_P_COUNT; f++)
		interned(id, tmp, ID_ANNOTATION_NAMES, (uint64_t)(ANN_P0 + f),
			 vmt_payload_arg_name((enum vmt_pfield)f, nb));
	pb_uint(&c->pkt, TP_SEQ_ID, 1);
	pb_uint(&c->pkt, TP_SEQ_FLAGS, SEQ_CLEARED);
	pb_msg(&c->pkt, TP_INTERNED, id);
	return emit(c, &c->pkt);
}

static int describe(struct perfetto_ctx *c, uint64_t uuid, uint64_t parent,
		    const char *name)
{
	reset(&c->pkt, c->pkt_b);
	reset(&c->te, c->te_b);
	pb_uint(&c->te, TD_UUID, uuid);
	pb_uint(&c->te, TD_PARENT, parent);
	pb_str(&c->te, TD_NAME, name);
	pb_msg(&c->pkt, TP_TRACK_DESC, &c->te);
	return emit(c, &c->pkt);
}

static int describe_domain(struct perfetto_ctx *c, const char *domain)
{
	reset(&c->pkt, c->pkt_b);
	reset(&c->te, c->te_b);
	reset(&c->sub, c->sub_b);
	pb_uint(&c->sub, PD_PID, 1);
	pb_str(&c->sub, PD_NAME, domain);
	pb_uint(&c->te, TD_UUID, TRACK_DOMAIN);
	pb_msg(&c->te, TD_PROCESS, &c->sub);
	pb_msg(&c->pkt, TP_TRACK_DESC, &c->te);
	return emit(c, &c->pkt);
}

/* The vCPU's two tracks, described before their first event. */
static int vcpu_seen(struct perfetto_ctx *c, uint32_t v)
{
	char name[48];
	int err;

	if (c->v[v].described)
		return 0;
	c->v[v].described = 1;
	snprintf(name, sizeof(name), "vCPU %u", v);
	err = describe(c, vcpu_track(v), TRACK_DOMAIN, name);
	snprintf(name, sizeof(name), "vCPU %u waits for the recorder", v);
	return err ? err : describe(c, wait_track(v), vcpu_track(v), name);
}

static int pause_end(struct perfetto_ctx *c, uint32_t v, uint64_t ts)
{
	if (!c->v[v].paused)
		return 0;
	c->v[v].paused = 0;
	return slice_close(c, wait_track(v), ts);
}

static int slice_end(struct perfetto_ctx *c, uint32_t v, uint64_t ts)
{
	if (!c->v[v].open)
		return 0;
	c->v[v].open = 0;
	return slice_close(c, vcpu_track(v), ts);
}

/* Closes the vCPU's residency when its CR3 changes, opens the next. */
static int residency(struct perfetto_ctx *c, const struct vmt_event *ev,
		     uint64_t ts)
{
	uint32_t v = ev->vcpu_id;
	uint64_t cr3 = ev->reg[VMT_REG_CR3];
	char name[32];
	int err;

	if (!(ev->reg_present >> VMT_REG_CR3 & 1) ||
	    (c->v[v].open && c->v[v].cr3 == cr3))
		return 0;
	err = slice_end(c, v, ts);
	if (err)
		return err;
	c->v[v].open = 1;
	c->v[v].cr3 = cr3;
	begin(c, ts, 1);
	te_head(c, SLICE_BEGIN, vcpu_track(v), CAT_CR3);
	snprintf(name, sizeof(name), "cr3 0x%" PRIx64, cr3);
	pb_str(&c->te, TE_NAME, name);
	return finish(c);
}

static uint64_t name_iid(uint32_t reason)
{
	return vmt_reason_name(reason) ? reason + 1 : NAME_UNKNOWN;
}

/* An event: an instant on its vCPU's track; or, when it paused the vCPU
 * (flag vcpu_paused), a slice on the vCPU's wait track until the response
 * that unpaused it: the time the vCPU stood still waiting for the
 * recorder.  A vCPU has one pause at most. */
static int p_event(void *ctx, const struct vmt_record *rec,
		   const struct vmt_event *ev, uint64_t ordinal)
{
	struct perfetto_ctx *c = ctx;
	const struct vmt_detail *d = vmt_detail_of(ev->reason);
	uint32_t v = ev->vcpu_id;
	int paused = ev->flags & VMT_FLAG_VCPU_PAUSED, err;

	(void)ordinal;
	if (v >= MAX_VCPUS)
		return 0;
	err = vcpu_seen(c, v);
	err = err ? err : residency(c, ev, rec->ts_ns);
	err = err ? err : pause_end(c, v, rec->ts_ns);
	if (err)
		return err;
	c->v[v].last = rec->ts_ns;
	c->v[v].paused = paused != 0;
	begin(c, rec->ts_ns, 1);
	if (paused)
		te_head(c, SLICE_BEGIN, wait_track(v), CAT_EVENT);
	else
		te_head(c, INSTANT, vcpu_track(v), CAT_EVENT);
	pb_uint(&c->te, TE_NAME_IID, name_iid(ev->reason));
	annotate(c, ANN_SEQ, DA_UINT, rec->seq);
	if (!vmt_reason_name(ev->reason))
		annotate(c, ANN_REASON, DA_UINT, ev->reason);
	annotate(c, ANN_FLAGS, DA_UINT, ev->flags);
	for (size_t i = 0; i < VMT_ARRAY_SIZE(vmt_key_regs); i++)
		if (ev->reg_present >> vmt_key_regs[i] & 1)
			annotate(c, ANN_REG0 + (int)i, DA_POINTER, ev->reg[vmt_key_regs[i]]);
	for (int i = 0; d->table && i < d->nfields; i++)
		if (ev->p_present >> d->fields[i] & 1)
			annotate(c, ANN_P0 + (int)d->fields[i], DA_UINT,
				 ev->p[d->fields[i]]);
	return finish(c);
}

static int p_response(void *ctx, const struct vmt_record *rec,
		      const struct vmt_walk_rsp *r)
{
	uint32_t v = r->ev->vcpu_id;

	if (v >= MAX_VCPUS || !(r->ev->flags & VMT_FLAG_VCPU_PAUSED))
		return 0;
	return pause_end(ctx, v, rec->ts_ns);
}

static int p_marker(void *ctx, const struct vmt_record *rec)
{
	struct perfetto_ctx *c = ctx;
	size_t n = rec->size;

	while (n && !rec->data[n - 1])
		n--;
	begin(c, rec->ts_ns, 1);
	te_head(c, INSTANT, TRACK_DOMAIN, CAT_MARKER);
	pb_text(&c->te, TE_NAME, (const char *)rec->data, n);
	annotate(c, ANN_SEQ, DA_UINT, rec->seq);
	return finish(c);
}

static const struct vmt_walk_ops perfetto_ops = {
	.event = p_event, .response = p_response, .marker = p_marker,
};

/* Residencies and pauses still open end at their vCPU's last event. */
static int close_all(struct perfetto_ctx *c)
{
	int err = 0;

	for (uint32_t v = 0; !err && v < MAX_VCPUS; v++) {
		err = pause_end(c, v, c->v[v].last);
		err = err ? err : slice_end(c, v, c->v[v].last);
	}
	return err;
}

int vmt_stream_perfetto(FILE *out, struct vmt_walk *w)
{
	const struct vmt_trace_info *in = vmt_reader_info(w->r);
	struct perfetto_ctx *c = calloc(1, sizeof(*c));
	int err;

	if (!c || !(c->v = calloc(MAX_VCPUS, sizeof(*c->v)))) {
		free(c);
		return -ENOMEM;
	}
	c->out = out;
	err = intern_all(c);
	err = err ? err : describe_domain(c, in->domain_name);
	err = err ? err : vmt_walk_run(w, &perfetto_ops, c);
	if (!err)
		err = close_all(c);
	free(c->v);
	free(c);
	return err ? err : (ferror(out) ? -EIO : 0);
}
