/*
 * reader.c - a program outside the vmtrail tree: it sees only the installed
 * headers and library.  Prints "events N" for the trace named by argv[1]
 * (N: request records, each decoded through the ABI table).  Exit 1 on any
 * error, with the library's message.
 */
#include <stdio.h>

#include <vmt/event.h>
#include <vmt/format.h>

int main(int argc, char **argv)
{
	VMT_OPTS(vmt_reader_opts, opts, .strict = 1);
	struct vmt_reader *r;
	struct vmt_record rec;
	struct vmt_event ev;
	unsigned long long n = 0;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: reader TRACE\n");
		return 2;
	}
	if ((rc = vmt_reader_open(&r, argv[1], &opts)) < 0) {
		fprintf(stderr, "%s: %s\n", argv[1], vmt_strerror(rc));
		return 1;
	}
	while ((rc = vmt_reader_next(r, &rec)) > 0) {
		if (rec.type != VMT_REC_REQUEST)
			continue;
		if ((rc = vmt_event_decode(rec.data, rec.size, &ev)) < 0)
			break;
		n++;
	}
	vmt_reader_close(r);
	if (rc < 0) {
		fprintf(stderr, "%s: %s\n", argv[1], vmt_strerror(rc));
		return 1;
	}
	printf("events %llu (vmtrail %s)\n", n, vmt_version_string());
	return 0;
}
