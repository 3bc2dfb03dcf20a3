/*
 * gen_hostile.c - a trace whose text a parser or a terminal could choke on,
 * for json_text.sh: invalid UTF-8, control characters and terminal escape
 * sequences in the domain name, labels and markers; 64-bit extremes in
 * registers, payload fields and the wall clock.
 *   vmt_gen_hostile OUT
 * The values are json_text.sh's expectations: change both together.
 */
#include <stdio.h>
#include <string.h>

#include "vmt/event.h"
#include "vmt/format.h"

#define HOSTILE_DOMAIN "dom\xff\x1b[2J\x07"
#define HOSTILE_LABELS "suite=a\x1b]0;pwned\x07;bad=\xc3\x28\xed\xa0\x80"
static const char *const markers[] = {
	"bad \xff\xfe ctl \x1b[2J\x07 ok \xc3\xa9",
	"tab\tnewline\nquote\" backslash\\ \xf0\x9f\x98\x80",
	"\xc2\x9b" "31m c1 csi \xe0\x80\xaf overlong",
};

static int request(struct vmt_writer *w, uint64_t seq, uint64_t ts, uint32_t vcpu,
		   uint64_t big)
{
	struct vmt_event e;
	uint8_t raw[VMT_ENTRY_MAX];
	int len;

	memset(&e, 0, sizeof(e));
	e.version = 7;
	e.reason = VMT_REASON_MEM_ACCESS;
	e.vcpu_id = vcpu;
	e.flags = VMT_FLAG_VCPU_PAUSED;
	for (int r = 0; r < VMT_REG_COUNT; r++)
		e.reg[r] = big - (uint64_t)r;
	e.reg_present = ~0ull;
	e.reg[VMT_REG_CR3] = 0x1000;
	vmt_event_set_p(&e, VMT_P_MEM_ACCESS_GFN, (1ull << 53) + 1);
	vmt_event_set_p(&e, VMT_P_MEM_ACCESS_OFFSET, 0xfff);
	vmt_event_set_p(&e, VMT_P_MEM_ACCESS_GLA, big);
	vmt_event_set_p(&e, VMT_P_MEM_ACCESS_FLAGS, 3);
	len = vmt_event_encode(&e, raw, sizeof(raw));
	if (len < 0)
		return len;
	len = vmt_writer_append(w, VMT_REC_REQUEST, 0, seq, ts, raw, (uint32_t)len);
	if (len)
		return len;
	len = vmt_event_encode(&e, raw, sizeof(raw));
	return vmt_writer_append(w, VMT_REC_RESPONSE, 0, seq, ts + 700, raw, (uint32_t)len);
}

int main(int argc, char **argv)
{
	static const uint64_t bigs[] = { UINT64_MAX, (1ull << 53) + 1, 1ull << 53, 0x812ec754 };
	VMT_OPTS(vmt_writer_opts, wo, .overwrite = 1);
	struct vmt_run_summary sum = { .end_cause = VMT_END_LIMIT, .duration_ns = 1000000 };
	struct vmt_trace_info in;
	struct vmt_writer *w;
	uint64_t seq = 0, ts = 1000;
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: %s OUT\n", argv[0]);
		return 2;
	}
	memset(&in, 0, sizeof(in));
	in.abi_version = 7;
	in.req_size = in.rsp_size = (uint32_t)vmt_abi_entry_size(7);
	in.page_size = 4096;
	in.xen_major = 4;
	in.xen_minor = 17;
	snprintf(in.host, sizeof(in.host), "host\x1b[31m");
	in.domid = 7;
	snprintf(in.domain_name, sizeof(in.domain_name), "%s", HOSTILE_DOMAIN);
	in.vcpus = 2;
	snprintf(in.monitors, sizeof(in.monitors), "mem_access:rw");
	in.clock_wall_ns = 1764758400123456789ull; /* above 2^53, as every real one */
	snprintf(in.labels, sizeof(in.labels), "%s", HOSTILE_LABELS);
	in.uuid[0] = 0x17;
	err = vmt_writer_open(&w, argv[1], &in, &wo);
	for (size_t i = 0; !err && i < sizeof(bigs) / sizeof(bigs[0]); i++) {
		err = request(w, seq++, ts += 1000, (uint32_t)(i % 2), bigs[i]);
		if (!err && i < sizeof(markers) / sizeof(markers[0]))
			err = vmt_writer_append(w, VMT_REC_MARKER, 0, seq, ts + 800, markers[i],
						(uint32_t)strlen(markers[i]));
	}
	if (w) {
		int e2 = vmt_writer_close(w, &sum);

		err = err ? err : e2;
	}
	if (err)
		fprintf(stderr, "%s: %s\n", argv[1], vmt_strerror(err));
	return err ? 1 : 0;
}
