/*
 * vmt/error.h - the one error convention of every vmtrail library.
 *
 * Every function that can fail returns an int: 0 (or a count) on success,
 * a negative errno on a system failure, or a negative VMT_E_* code for a
 * problem in the data itself.  VMT_E_* values sit above the errno range so
 * the two never collide; vmt_strerror() names both.
 */
#ifndef VMT_ERROR_H
#define VMT_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

#define VMT_API __attribute__((visibility("default")))

enum vmt_error {
	VMT_E_BASE = 4096,
	VMT_E_CORRUPT,      /* a size, offset or field is impossible */
	VMT_E_CHECKSUM,     /* a checksum does not match the bytes */
	VMT_E_TRUNCATED,    /* the data ends before a structure does */
	VMT_E_VERSION,      /* unknown format major version */
	VMT_E_INCOMPAT,     /* a must-understand bit or field is unknown */
	VMT_E_MAGIC,        /* not a vmtrail trace */
	VMT_E_ABI,          /* vm_event ABI version not in VMT_ABI_RANGE */
	VMT_E_TOOBIG,       /* a size beyond the documented caps */
	VMT_E_DAMAGED,      /* strict mode: a damaged chunk was met */
	VMT_E_STATE,        /* call not valid in the handle's state */
	VMT_E_RING,         /* ring indices out of bounds (producer fault) */
	VMT_E_REPEAT,       /* a chunk repeats requests an earlier chunk holds */
	VMT_E_MAX
};

/**
 * vmt_strerror() - describe an error code
 * @err: a negative errno or a negative VMT_E_* code (the sign is ignored)
 *
 * Return: a static string; never NULL.
 */
VMT_API const char *vmt_strerror(int err);

/* Log levels for vmt_set_log_fn(). */
enum vmt_log_level { VMT_LOG_ERROR, VMT_LOG_WARN, VMT_LOG_INFO, VMT_LOG_DEBUG };

typedef void (*vmt_log_fn)(enum vmt_log_level level, const char *msg, void *ctx);

/**
 * vmt_set_log_fn() - route library diagnostics
 * @fn:  called with one formatted line (no trailing newline); NULL silences
 * @ctx: passed back to @fn
 *
 * The default writes warnings and errors to stderr.  Libraries never print
 * otherwise.
 *
 * Context: call before starting threads that use the library.
 */
VMT_API void vmt_set_log_fn(vmt_log_fn fn, void *ctx);

#ifdef __cplusplus
}
#endif
#endif
