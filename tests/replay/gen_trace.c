/*
 * gen_trace.c - writes a tracegen trace for the CLI tests:
 *   vmt_gen_trace OUT ABI NEVENTS SEED [cut|notrailer]
 * "cut" drops the trailer and the last third of the file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tracegen.h"

int main(int argc, char **argv)
{
	struct tg_opts o = { .vcpus = 2, .chunk_size = 8192, .labels = "scenario=cli" };
	struct tg_counts c;
	struct stat st;
	int err;

	if (argc < 5) {
		fprintf(stderr, "usage: %s OUT ABI NEVENTS SEED [cut|notrailer]\n", argv[0]);
		return 2;
	}
	o.abi = (uint32_t)atoi(argv[2]);
	o.nevents = strtoull(argv[3], NULL, 10);
	o.seed = strtoull(argv[4], NULL, 10);
	o.no_trailer = argc > 5;
	err = tg_write(argv[1], &o, NULL, &c);
	if (err) {
		fprintf(stderr, "%s: %s\n", argv[1], vmt_strerror(err));
		return 1;
	}
	if (argc > 5 && !strcmp(argv[5], "cut") &&
	    (stat(argv[1], &st) || truncate(argv[1], st.st_size * 2 / 3))) {
		perror(argv[1]);
		return 1;
	}
	printf("%llu %llu %llu %llu\n", (unsigned long long)c.events,
	       (unsigned long long)c.responses, (unsigned long long)c.markers,
	       (unsigned long long)c.per_reason[VMT_REASON_MEM_ACCESS]);
	return 0;
}
