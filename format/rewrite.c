/*
 * rewrite.c - a trace copied record by record into a new file written
 * with other writer options: how a recording made with uncompressed
 * chunks (vmtrail-record --compress-after) becomes an ordinary zstd
 * trace once the run is over.  Only an intact source is copied, so the
 * copy can take the source's place without losing anything.
 */
#include <unistd.h>

#include "format_int.h"

static int copy_records(struct vmt_reader *r, struct vmt_writer *w)
{
	struct vmt_record rec;
	int rc;

	while ((rc = vmt_reader_next(r, &rec)) == 1) {
		rc = vmt_writer_append(w, rec.type, rec.flags, rec.seq, rec.ts_ns,
				       rec.data, rec.size);
		if (rc)
			return rc;
	}
	return rc;
}

int vmt_trace_rewrite(const char *src, int fd, const struct vmt_writer_opts *opts)
{
	VMT_OPTS(vmt_reader_opts, ro, .strict = 1);
	struct vmt_reader *r = NULL;
	struct vmt_writer *w = NULL;
	int rc = vmt_reader_open(&r, src, &ro);

	if (rc) {
		close(fd);
		return rc;
	}
	if (!vmt_reader_integrity(r)->complete) {
		vmt_reader_close(r);
		close(fd);
		return -VMT_E_DAMAGED;
	}
	rc = vmt_writer_open_fd(&w, fd, vmt_reader_info(r), opts);
	if (!rc)
		rc = copy_records(r, w);
	if (w && rc)
		vmt_writer_abandon(w);
	else if (w)
		rc = vmt_writer_close(w, vmt_reader_summary(r));
	vmt_reader_close(r);
	return rc;
}
