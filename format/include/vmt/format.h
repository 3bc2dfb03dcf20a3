/*
 * vmt/format.h - the vmtrail trace file: writer, reader, recovery.
 *
 * A trace is a self-describing header, a body of independently decodable
 * zstd chunks of typed records, a trailer (chunk index + run summary) and
 * an end marker.  Byte layouts: SPEC.md (share/doc/vmtrail).  The library
 * never prints or exits; every call returns 0 / a count or a negative
 * error (vmt/error.h).
 */
#ifndef VMT_FORMAT_H
#define VMT_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "vmt/error.h"
#include "vmt/event.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VMT_VERSION_MAJOR 0
#define VMT_VERSION_MINOR 1
#define VMT_VERSION_PATCH 0
#define VMT_VERSION_NUMBER \
	(VMT_VERSION_MAJOR * 10000 + VMT_VERSION_MINOR * 100 + VMT_VERSION_PATCH)
VMT_API unsigned vmt_version_number(void);
VMT_API const char *vmt_version_string(void);

/* Trace format version written by this library (SPEC.md "Versions"). */
#define VMT_FILE_MAJOR 1
#define VMT_FILE_MINOR 1

/* Caps on variable-size header texts (bytes, including the NUL). */
#define VMT_NAME_MAX 256
#define VMT_TEXT_MAX 4096

/* Record types inside chunks (SPEC.md "Records"). */
enum vmt_rec_type {
	VMT_REC_REQUEST = 1,    /* raw ring entry as dequeued */
	VMT_REC_RESPONSE = 2,   /* raw ring entry as answered; seq = request's */
	VMT_REC_MARKER = 3,     /* UTF-8 text from the control socket */
	VMT_REC_RING_STATS = 4, /* struct vmt_ring_stats, one per drain batch */
	VMT_REC_NOTE = 5,       /* UTF-8 text: recorder notes and faults */
	VMT_REC_LOSS = 6,       /* struct vmt_loss: requests known lost */
};

/* Codecs (chunk payload encoding).  ZSTD is 0 so that zero-initialized
 * options (VMT_OPTS) get the default codec, not an uncompressed trace. */
enum vmt_codec { VMT_CODEC_ZSTD = 0, VMT_CODEC_NONE = 1 };

/**
 * struct vmt_trace_info - the facts replay depends on, stored in the header
 *
 * Texts are NUL-terminated and capped (VMT_NAME_MAX / VMT_TEXT_MAX).
 * @monitors is the canonical monitor list, one "name[:param,...]" per ';'
 * (SPEC.md "Monitors"); @labels is "key=value;..." given by the user
 * (scenario names and the like) and used by comparisons; @phase_names is
 * "CODE=NAME;..." naming the guest's phase markers (guest requests
 * carrying CODE), empty in traces older than format 1.1.
 */
struct vmt_trace_info {
	uint32_t abi_version;      /* vm_event interface version, VMT_ABI_RANGE */
	uint32_t req_size;         /* request entry bytes */
	uint32_t rsp_size;         /* response entry bytes */
	uint32_t page_size;        /* ring page size, 4096 */
	uint32_t xen_major, xen_minor;
	char xen_extra[VMT_NAME_MAX];
	char host[VMT_NAME_MAX];
	uint32_t domid;
	char domain_name[VMT_NAME_MAX];
	uint32_t vcpus;
	char monitors[VMT_TEXT_MAX];
	uint64_t clock_mono_ns;    /* CLOCK_MONOTONIC at the origin */
	uint64_t clock_wall_ns;    /* CLOCK_REALTIME (Unix ns) at the origin */
	char recorder_version[VMT_NAME_MAX];
	char cmdline[VMT_TEXT_MAX];
	uint8_t uuid[16];
	uint32_t codec;            /* enum vmt_codec */
	int32_t level;             /* codec level */
	char labels[VMT_TEXT_MAX];
	char phase_names[VMT_TEXT_MAX];
};

/* ------------------------------------------------------------------ */
/* Phase names (SPEC.md "Text conventions"): "CODE=NAME" items, by      */
/* ascending CODE (decimal), joined by ';'.                             */

/* A name: 1..63 bytes, no control character, ';', ',' or '='. */
#define VMT_PHASE_NAME_MAX 64

/**
 * vmt_phase_names_add() - insert CODE=NAME into phase-name text
 * @text: in/out canonical text, NUL-terminated, @cap bytes
 * Return: 0; -EINVAL for a bad name; -EEXIST if @code is already named;
 *         -ENOSPC if it does not fit; -VMT_E_CORRUPT if @text is malformed.
 */
VMT_API int vmt_phase_names_add(char *text, size_t cap, uint64_t code,
				const char *name);

/**
 * vmt_phase_names_next() - walk phase-name text item by item
 * @pos: in/out cursor, set to the text before the first call
 * Return: 1 with @code and @name filled, 0 at the end, -VMT_E_CORRUPT
 *         for an item that breaks the grammar.
 */
VMT_API int vmt_phase_names_next(const char **pos, uint64_t *code,
				 char name[VMT_PHASE_NAME_MAX]);

/** vmt_phase_names_check() - 0 if @text is canonical (grammar, codes
 * ascending and unique), else -VMT_E_CORRUPT */
VMT_API int vmt_phase_names_check(const char *text);

/* VMT_REC_RING_STATS payload: what one drain batch saw. */
struct vmt_ring_stats {
	uint32_t occupancy;        /* requests pending when the batch started */
	uint32_t handled;          /* requests answered in the batch */
	uint64_t batch_ns;         /* first dequeue to notify */
	uint64_t backpressure_ns;  /* drain time spent waiting for a free chunk */
};

/* VMT_REC_LOSS payload: requests the recorder knows it did not keep. */
struct vmt_loss {
	uint64_t first_seq;
	uint64_t count;
	uint32_t cause;            /* enum vmt_loss_cause */
};
enum vmt_loss_cause {
	VMT_LOSS_RING_FAULT = 1,   /* producer index jumped past the ring */
	VMT_LOSS_WRITE_ERROR = 2,  /* chunk could not be written */
	VMT_LOSS_BAD_ENTRY = 3,    /* entry with a foreign ABI version */
	VMT_LOSS_BACKLOG = 4,      /* tap: the writer fell behind (disk) */
};

/* Why a recording ended (summary.end_cause). */
enum vmt_end_cause {
	VMT_END_LIMIT = 0,         /* duration / max-events / max-size / sim end */
	VMT_END_SIGNAL = 1,
	VMT_END_WRITE_ERROR = 2,
	VMT_END_DOMAIN_GONE = 3,
	VMT_END_RING_FAULT = 4,
	VMT_END_OTHER = 5,
};

/**
 * struct vmt_run_summary - the trailer's run summary
 *
 * Written by vmt_writer_close(); rebuilt from the chunks when a trace has
 * no trailer (then @from_trailer is 0 and recorder-only totals are 0).
 */
struct vmt_run_summary {
	uint64_t records;
	uint64_t requests;
	uint64_t responses;
	uint64_t markers;
	uint64_t notes;
	uint64_t ring_stats;
	uint64_t lost;             /* sum of vmt_loss.count */
	uint64_t first_seq, last_seq;
	uint64_t first_ts, last_ts; /* ns since the header's clock origin */
	uint64_t duration_ns;      /* recording wall time, may exceed last_ts */
	uint64_t backpressure_ns;
	uint64_t max_occupancy;
	uint64_t batches;
	uint32_t end_cause;        /* enum vmt_end_cause */
	uint32_t from_trailer;     /* 1 if read from an intact trailer */
};

/* One decoded record as the reader returns it. */
struct vmt_record {
	uint16_t type;             /* enum vmt_rec_type, or unknown */
	uint16_t flags;
	uint32_t size;             /* payload bytes */
	uint64_t seq;
	uint64_t ts_ns;            /* ns since the header's clock origin */
	const uint8_t *data;       /* valid until the next reader call */
};

/* ------------------------------------------------------------------ */
/* Chunk buffer: records accumulate here; no allocation after init.     */

/**
 * struct vmt_chunkbuf - an uncompressed chunk being filled
 *
 * The recorder's drain thread owns one at a time and hands full ones to
 * the writer thread; the fields are read-only for callers.
 */
struct vmt_chunkbuf {
	uint8_t *buf;
	size_t cap, len;
	uint32_t nrec;
	uint64_t first_seq, last_seq, first_ts, last_ts;
};

/** vmt_chunkbuf_init() - allocate @cap bytes (<= VMT_CHUNK_MAX). */
VMT_API int vmt_chunkbuf_init(struct vmt_chunkbuf *c, size_t cap);
VMT_API void vmt_chunkbuf_free(struct vmt_chunkbuf *c);
VMT_API void vmt_chunkbuf_reset(struct vmt_chunkbuf *c);
/** vmt_chunkbuf_fits() - 1 if @n more records of @size payload bytes fit */
VMT_API int vmt_chunkbuf_fits(const struct vmt_chunkbuf *c, uint32_t size, unsigned n);

/**
 * vmt_chunkbuf_reserve() - reserve room for one record, header written
 * Return: pointer to @size payload bytes to fill, or NULL if the chunk has
 *         no room (flush it and retry).  Lets the drain copy a ring slot
 *         straight into the chunk: one copy, no allocation.
 */
VMT_API uint8_t *vmt_chunkbuf_reserve(struct vmt_chunkbuf *c, uint16_t type,
				      uint16_t flags, uint64_t seq,
				      uint64_t ts_ns, uint32_t size);

/** vmt_chunkbuf_append() - reserve + copy; -ENOSPC if it does not fit. */
VMT_API int vmt_chunkbuf_append(struct vmt_chunkbuf *c, uint16_t type,
				uint16_t flags, uint64_t seq, uint64_t ts_ns,
				const void *data, uint32_t size);

#define VMT_CHUNK_DEFAULT (1u << 20)
#define VMT_CHUNK_MAX (64u << 20)

/* ------------------------------------------------------------------ */
/* Writer                                                               */

struct vmt_writer;

/**
 * struct vmt_writer_opts - sized options (first field is sizeof the struct)
 * @level:      zstd level (default 3); negative levels are fast levels
 * @codec:      VMT_CODEC_ZSTD (default) or VMT_CODEC_NONE
 * @chunk_size: uncompressed bytes per chunk for vmt_writer_append()
 * @overwrite:  replace an existing file (default: fail with -EEXIST)
 * @mode:       creation mode (default 0600)
 * @fsync:      fsync after each chunk (default 0)
 */
struct vmt_writer_opts {
	size_t sz;
	int level;
	uint32_t codec;
	uint32_t chunk_size;
	int overwrite;
	unsigned mode;
	int fsync;
};
#define VMT_OPTS(TYPE, NAME, ...) \
	struct TYPE NAME = { .sz = sizeof(struct TYPE), __VA_ARGS__ }

/**
 * vmt_writer_open() - create a trace and write its header
 * @out:  OUT: the writer
 * @path: file to create
 * @info: header facts (copied); the codec and level recorded are the
 *        ones taken from @opts
 * @opts: may be NULL for defaults
 *
 * Return: 0, -EEXIST (no @opts->overwrite), -EINVAL (bad options),
 *         -VMT_E_ABI / -VMT_E_CORRUPT (@info unusable), or a write error.
 */
VMT_API int vmt_writer_open(struct vmt_writer **out, const char *path,
			    const struct vmt_trace_info *info,
			    const struct vmt_writer_opts *opts);

/** vmt_writer_open_fd() - as vmt_writer_open() on a seekable fd the writer
 * owns (closed on failure too) */
VMT_API int vmt_writer_open_fd(struct vmt_writer **out, int fd,
			       const struct vmt_trace_info *info,
			       const struct vmt_writer_opts *opts);

/**
 * vmt_writer_put_chunk() - compress and write one filled chunk buffer
 *
 * The buffer is not modified; the caller resets it.  Return 0 or the
 * write error (-ENOSPC, -EIO...).  After an error the file still holds
 * every earlier chunk intact.
 */
VMT_API int vmt_writer_put_chunk(struct vmt_writer *w,
				 const struct vmt_chunkbuf *c);

/** vmt_writer_append() - one record through the writer's own chunk */
VMT_API int vmt_writer_append(struct vmt_writer *w, uint16_t type,
			      uint16_t flags, uint64_t seq, uint64_t ts_ns,
			      const void *data, uint32_t size);

/** vmt_writer_flush() - write the writer's own partial chunk, if any */
VMT_API int vmt_writer_flush(struct vmt_writer *w);

/** vmt_writer_bytes() - bytes written to the file so far */
VMT_API uint64_t vmt_writer_bytes(const struct vmt_writer *w);

/**
 * vmt_writer_close() - flush, write trailer + end marker, close, free
 * @summary: recorder totals (duration, backpressure, end cause...); the
 *           record counts and seq/ts ranges are filled by the writer.
 *           May be NULL.
 *
 * Always frees @w.  Return the first error met.
 */
VMT_API int vmt_writer_close(struct vmt_writer *w,
			     const struct vmt_run_summary *summary);

/** vmt_writer_abandon() - close the fd without a trailer, free @w */
VMT_API void vmt_writer_abandon(struct vmt_writer *w);

/**
 * vmt_trace_rewrite() - copy the intact trace @src into a new trace on @fd
 * @fd:   a seekable, empty file the writer owns (closed on failure too)
 * @opts: the copy's writer options (e.g. VMT_CODEC_ZSTD at some level)
 *
 * The copy has the source's header facts (UUID, clocks, labels...),
 * every record in order, and its recorder summary; only the chunking,
 * codec and level are the new ones.  A source that is not intact (no
 * trailer, any damage) is refused with -VMT_E_DAMAGED, so that a copy can
 * take its place without losing anything.
 * Return: 0, a reader error, or a writer error (the copy is then partial).
 */
VMT_API int vmt_trace_rewrite(const char *src, int fd,
			      const struct vmt_writer_opts *opts);

/* Payload helpers for the fixed-layout record types (SPEC.md). */
#define VMT_RING_STATS_SIZE 24
#define VMT_LOSS_SIZE 20
VMT_API void vmt_ring_stats_put(uint8_t out[VMT_RING_STATS_SIZE],
				const struct vmt_ring_stats *s);
VMT_API int vmt_ring_stats_get(const struct vmt_record *r,
			       struct vmt_ring_stats *s);
VMT_API void vmt_loss_put(uint8_t out[VMT_LOSS_SIZE], const struct vmt_loss *l);
VMT_API int vmt_loss_get(const struct vmt_record *r, struct vmt_loss *l);

/* ------------------------------------------------------------------ */
/* Reader                                                               */

struct vmt_reader;

/**
 * struct vmt_reader_opts - sized options
 * @strict: any damage (bad checksum, cut chunk, missing trailer) fails the
 *          call that meets it with -VMT_E_DAMAGED; default 0 (recover:
 *          damaged chunks are skipped and reported)
 */
struct vmt_reader_opts {
	size_t sz;
	int strict;
};

/* One chunk as the index knows it. */
struct vmt_chunk_info {
	uint64_t offset;           /* file offset of the chunk header */
	uint32_t nrec;
	uint32_t csize, usize;
	uint64_t first_seq, last_seq, first_ts, last_ts;
	int status;                /* 0 intact, else the negative error */
	/* Requests this chunk repeats from earlier chunks (SPEC.md 10.4):
	 * the records before its first new request are skipped, all of them
	 * when every request is a repeat (then status is -VMT_E_REPEAT). */
	uint32_t repeated;         /* records skipped as repeats */
	uint64_t repeat_first, repeat_last; /* seq range of the repeated requests */
};

/**
 * struct vmt_integrity - what the reader learned about the file's health
 * @complete:      trailer and end marker present and valid
 * @chunks:        chunks found (intact + damaged)
 * @damaged:       chunks skipped for damage
 * @first_damaged: index of the first damaged chunk, or -1
 * @cut_offset:    in a file without trailer (recording interrupted): the
 *                 offset where its intact data ends, i.e. the end of the
 *                 last complete chunk, or the start of a partial one; 0 if
 *                 the file has a trailer (intact or damaged)
 * @unknown_records: records of unknown type skipped
 * @file_size:     bytes in the file
 * @unknown_meta:  header metadata records of unknown type skipped
 * @trailer_offset: where a trailer was found (intact or not), else 0
 * @trailer_status: 0, or why the trailer found there was not used
 * @trailing_bytes: bytes after an intact trailer's end marker (appended)
 * @repeated:      records skipped because they repeat earlier chunks'
 *                 requests (their chunks count in @damaged)
 */
struct vmt_integrity {
	int complete;
	uint32_t chunks;
	uint32_t damaged;
	int64_t first_damaged;
	uint64_t cut_offset;
	uint64_t unknown_records;
	uint64_t file_size;
	uint32_t unknown_meta;
	uint64_t trailer_offset;
	int trailer_status;
	uint64_t trailing_bytes;
	uint64_t repeated;
};

/** vmt_reader_open() - validate the header and build the chunk index
 * (from the trailer, or by scanning when it is missing or damaged) */
VMT_API int vmt_reader_open(struct vmt_reader **out, const char *path,
			    const struct vmt_reader_opts *opts);

/** vmt_reader_open_mem() - the same over a caller-owned buffer */
VMT_API int vmt_reader_open_mem(struct vmt_reader **out, const void *buf,
				size_t len, const struct vmt_reader_opts *opts);

/**
 * vmt_reader_open_fd() - the same over @map, the caller's mapping of all
 * @len bytes of the open file @fd.  The open reads the chunk headers with
 * pread() on @fd rather than through @map, so it maps in only the pages
 * of the file header and the trailer, even when the page cache holds the
 * file.  @fd is not used after the call returns.
 */
VMT_API int vmt_reader_open_fd(struct vmt_reader **out, int fd, const void *map,
			       size_t len, const struct vmt_reader_opts *opts);

VMT_API const struct vmt_trace_info *vmt_reader_info(const struct vmt_reader *r);
VMT_API const struct vmt_run_summary *vmt_reader_summary(const struct vmt_reader *r);
VMT_API const struct vmt_integrity *vmt_reader_integrity(const struct vmt_reader *r);

/** vmt_reader_chunk_count() / vmt_reader_chunk() - the index */
VMT_API uint32_t vmt_reader_chunk_count(const struct vmt_reader *r);
VMT_API const struct vmt_chunk_info *vmt_reader_chunk(const struct vmt_reader *r,
						       uint32_t i);

/**
 * vmt_reader_next() - the next record in file order
 * Return: 1 with @rec filled, 0 at the end, negative on error (strict mode
 *         meeting damage: -VMT_E_DAMAGED; the failing chunk's index is
 *         available through vmt_reader_last_chunk()).
 */
VMT_API int vmt_reader_next(struct vmt_reader *r, struct vmt_record *rec);

/** vmt_reader_last_chunk() - index of the chunk the last call touched */
VMT_API int64_t vmt_reader_last_chunk(const struct vmt_reader *r);

/** vmt_reader_seek_seq() - position before the first record with seq >= @seq */
VMT_API int vmt_reader_seek_seq(struct vmt_reader *r, uint64_t seq);
/** vmt_reader_seek_ts() - position before the first record with ts >= @ts_ns */
VMT_API int vmt_reader_seek_ts(struct vmt_reader *r, uint64_t ts_ns);

VMT_API void vmt_reader_close(struct vmt_reader *r);

/**
 * vmt_reader_damage_text() - what is wrong with the file, in words, for a
 * warning: the trailer (where, why it was not used), each damaged chunk
 * (which, at what byte, why), repeated requests, trailing bytes, a cut
 * end.  Chunks are known damaged once read, so call it after the reading.
 * Return: the length of the text (truncated to fit @len), 0 if nothing
 *         read so far is wrong.
 */
VMT_API size_t vmt_reader_damage_text(const struct vmt_reader *r, char *buf, size_t len);

/**
 * vmt_recover() - rewrite a trace without its damage: every intact chunk
 * copied, a fresh trailer and end marker written to @out_path.
 * Return: number of chunks dropped, or a negative error.
 */
VMT_API int vmt_recover(const char *in_path, const char *out_path);

/**
 * vmt_verify() - check a trace without returning its records
 * @deep: 0 checks the header, trailer and chunk headers; 1 also verifies
 *        and decodes every chunk payload
 * @out:  OUT: what was found (may be NULL)
 *
 * Return: 0 if the file is complete and nothing checked is damaged,
 *         -VMT_E_DAMAGED if it is readable but incomplete or damaged, or
 *         the error that makes it unreadable.
 */
VMT_API int vmt_verify(const char *path, int deep, struct vmt_integrity *out);

/** vmt_uuid_format() - 36-char lowercase UUID text into @out[37] */
VMT_API void vmt_uuid_format(const uint8_t uuid[16], char out[37]);

#ifdef __cplusplus
}
#endif
#endif
