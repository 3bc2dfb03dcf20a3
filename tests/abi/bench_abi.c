/*
 * bench_abi.c - CPU time of vmt_event_decode() and vmt_event_encode() per
 * event for each ABI version (replay budgets ~1 us per event in all).  A
 * benchmark that prints figures, not a test: run build/tests/bench_abi [N].
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "vmt/event.h"

#define SLOTS 8

static double cpu_seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Eight entries of @v with varied bytes and a mix of known reasons. */
static void fill(uint8_t slot[SLOTS][VMT_ENTRY_MAX], uint32_t v)
{
	for (int s = 0; s < SLOTS; s++) {
		for (int i = 0; i < VMT_ENTRY_MAX; i++)
			slot[s][i] = (uint8_t)(i * 31 + s * 7 + (int)v);
		for (int i = 0; i < 4; i++) {
			slot[s][i] = (uint8_t)(v >> 8 * i);
			slot[s][8 + i] = (uint8_t)((1 + s % 7) >> 8 * i);
		}
	}
}

int main(int argc, char **argv)
{
	static uint8_t slot[SLOTS][VMT_ENTRY_MAX];
	uint8_t out[VMT_ENTRY_MAX];
	long n = argc > 1 ? atol(argv[1]) : 2000000;
	struct vmt_event ev;
	uint64_t sink = 0;

	for (uint32_t v = VMT_ABI_MIN; v <= VMT_ABI_MAX; v++) {
		double t0, t1, t2;

		fill(slot, v);
		t0 = cpu_seconds();
		for (long i = 0; i < n; i++) {
			vmt_event_decode(slot[i % SLOTS], VMT_ENTRY_MAX, &ev);
			sink += ev.reg[VMT_REG_RIP];
		}
		t1 = cpu_seconds();
		for (long i = 0; i < n; i++)
			sink += (uint64_t)vmt_event_encode(&ev, out, sizeof(out));
		t2 = cpu_seconds();
		printf("v%u: decode %.1f ns/event, encode %.1f ns/event\n", v,
		       (t1 - t0) / (double)n * 1e9, (t2 - t1) / (double)n * 1e9);
	}
	return sink == 42 ? 1 : 0;   /* keeps the loops from being optimised out */
}
