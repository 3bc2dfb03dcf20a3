/*
 * tap_check.c - test helper for tapped traces: reads a trace with the
 * format reader and prints, one "key=value" per line, what the tap tests
 * compare against xensim's stats:
 *   requests, responses, lost (sum of LOSS counts), loss_records,
 *   loss_first (first seq of the first LOSS, or -1), backlog_losses
 *   responses_digest  FNV-1a 64 over every RESPONSE payload in file order
 *                     (xensim's responses_digest)
 *   seq_errors        requests whose seq is not the next one (a LOSS
 *                     accounts for the seqs it names): duplicates, gaps
 *   orphan_responses  responses whose seq names no recorded request, or a
 *                     request already answered
 *   complete, tapped (1 if the header's labels carry tap=)
 * With a second argument, the request payloads are written to that file
 * back to back (for a byte comparison with min_consumer --raw-dir).
 * Exit 0 if the file was read to its end.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmt/format.h"

#define FNV_BASIS 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

struct totals {
	uint64_t req, rsp, lost, loss_records, backlog, seq_errors, orphans;
	int64_t loss_first;
	uint64_t next_seq, digest;
	uint8_t *answered;         /* per request seq: 0 none, 1 open, 2 answered */
	size_t cap;
};

static int grow(struct totals *t, uint64_t seq)
{
	if (seq < t->cap)
		return 0;
	size_t n = t->cap ? t->cap : 4096;
	while (n <= seq)
		n *= 2;
	uint8_t *p = realloc(t->answered, n);
	if (!p)
		return -1;
	memset(p + t->cap, 0, n - t->cap);
	t->answered = p;
	t->cap = n;
	return 0;
}

static int on_record(struct totals *t, const struct vmt_record *r, FILE *raw)
{
	struct vmt_loss l;

	switch (r->type) {
	case VMT_REC_REQUEST:
		t->req++;
		if (r->seq != t->next_seq)
			t->seq_errors++;
		t->next_seq = r->seq + 1;
		if (grow(t, r->seq))
			return -1;
		t->answered[r->seq] = 1;
		if (raw && fwrite(r->data, 1, r->size, raw) != r->size)
			return -1;
		break;
	case VMT_REC_RESPONSE:
		t->rsp++;
		for (uint32_t i = 0; i < r->size; i++)
			t->digest = (t->digest ^ r->data[i]) * FNV_PRIME;
		if (r->seq >= t->cap || t->answered[r->seq] != 1)
			t->orphans++;
		else
			t->answered[r->seq] = 2;
		break;
	case VMT_REC_LOSS:
		if (vmt_loss_get(r, &l))
			return -1;
		t->loss_records++;
		t->lost += l.count;
		t->backlog += l.cause == VMT_LOSS_BACKLOG;
		if (t->loss_first < 0)
			t->loss_first = (int64_t)l.first_seq;
		if (l.first_seq != t->next_seq)
			t->seq_errors++;
		t->next_seq = l.first_seq + l.count;
		break;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct vmt_reader *rd;
	struct vmt_record rec;
	struct totals t = { .loss_first = -1, .digest = FNV_BASIS };
	FILE *raw = NULL;
	int rc;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: tap_check TRACE [RAW_REQUESTS_OUT]\n");
		return 2;
	}
	if ((rc = vmt_reader_open(&rd, argv[1], NULL))) {
		printf("error=%s\n", vmt_strerror(rc));
		return 1;
	}
	if (argc == 3 && !(raw = fopen(argv[2], "wb"))) {
		perror(argv[2]);
		return 1;
	}
	while ((rc = vmt_reader_next(rd, &rec)) == 1)
		if (on_record(&t, &rec, raw)) {
			rc = -1;
			break;
		}
	const struct vmt_trace_info *info = vmt_reader_info(rd);
	printf("requests=%" PRIu64 "\nresponses=%" PRIu64 "\nlost=%" PRIu64
	       "\nloss_records=%" PRIu64 "\nbacklog_losses=%" PRIu64
	       "\nloss_first=%" PRId64 "\nresponses_digest=%016" PRIx64
	       "\nseq_errors=%" PRIu64 "\norphan_responses=%" PRIu64
	       "\ncomplete=%d\ntapped=%d\nabi=%u\nvcpus=%u\n",
	       t.req, t.rsp, t.lost, t.loss_records, t.backlog, t.loss_first,
	       t.digest, t.seq_errors, t.orphans,
	       vmt_reader_integrity(rd)->complete,
	       strncmp(info->labels, "tap=", 4) == 0 ||
		       strstr(info->labels, ";tap=") != NULL,
	       info->abi_version, info->vcpus);
	vmt_reader_close(rd);
	free(t.answered);
	if (raw && fclose(raw))
		rc = -1;
	return rc == 0 ? 0 : 1;
}
