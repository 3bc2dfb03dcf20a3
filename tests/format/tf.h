/*
 * tf.h - helpers shared by the format tests: a deterministic synthetic
 * record stream, trace files in a private temp dir, whole-file buffers.
 */
#ifndef VMT_TF_H
#define VMT_TF_H

#include <stddef.h>
#include <stdint.h>

#include "vmt/format.h"

/* Record @i of the synthetic stream: seq = i/2, ts = 10*i, mixed types. */
struct tf_rec {
	uint16_t type, flags;
	uint32_t size;
	uint64_t seq, ts;
	uint8_t data[96];
};
void tf_gen(uint64_t i, struct tf_rec *r);
/* 1 if @got is record @i of the stream. */
int tf_same(uint64_t i, const struct vmt_record *got);

void tf_info(struct vmt_trace_info *info);
/* A fresh path in a per-process temp dir (removed at exit). */
const char *tf_path(const char *name);
/* Write records [0, n) with chunk size @chunk and @codec; 0 or error. */
int tf_write(const char *path, uint64_t n, uint32_t chunk, uint32_t codec, int close);
uint8_t *tf_slurp(const char *path, size_t *len);
int tf_spill(const char *path, const void *buf, size_t len);
/* Read every record; 0 ok and *@count set, or the first error. */
int tf_read_all(struct vmt_reader *r, uint64_t *count);

#endif
