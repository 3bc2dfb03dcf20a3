/*
 * format_log.h - shared-private logging and corruption checks for the
 * vmtrail libraries (never installed).
 */
#ifndef VMT_FORMAT_LOG_H
#define VMT_FORMAT_LOG_H

#include "vmt/error.h"

/* For record/ and replay/, which link the static library: not part of the
 * public API, so hidden in libvmt_format.so. */
void vmt_log(enum vmt_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * VMT_RETURN_IF() - bail out of a validation with @code, saying in debug
 * builds which check fired (SQLite's CORRUPT_BKPT idea).
 */
#ifdef NDEBUG
#define VMT_RETURN_IF(cond, code) \
	do { if (cond) return (code); } while (0)
#else
#define VMT_RETURN_IF(cond, code)                                        \
	do {                                                             \
		if (cond) {                                              \
			vmt_log(VMT_LOG_DEBUG, "%s:%d: check failed: %s", \
				__FILE__, __LINE__, #cond);              \
			return (code);                                   \
		}                                                        \
	} while (0)
#endif

#endif
