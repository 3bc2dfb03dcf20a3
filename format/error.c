/*
 * error.c - vmt_strerror() and the library log hook (vmt/error.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vmt/error.h"
#include "vmt/event.h"
#include "format_log.h"

static const char *const vmt_messages[VMT_E_MAX - VMT_E_BASE] = {
	[VMT_E_CORRUPT - VMT_E_BASE] = "corrupt data: a size, offset or field is impossible",
	[VMT_E_CHECKSUM - VMT_E_BASE] = "checksum mismatch",
	[VMT_E_TRUNCATED - VMT_E_BASE] = "data ends before the structure does (truncated)",
	[VMT_E_VERSION - VMT_E_BASE] = "unsupported trace format major version",
	[VMT_E_INCOMPAT - VMT_E_BASE] = "unknown must-understand feature bit",
	[VMT_E_MAGIC - VMT_E_BASE] = "not a vmtrail trace (bad magic)",
	[VMT_E_ABI - VMT_E_BASE] = "vm_event ABI version not in " VMT_ABI_RANGE,
	[VMT_E_TOOBIG - VMT_E_BASE] = "size beyond the documented limit",
	[VMT_E_DAMAGED - VMT_E_BASE] = "damaged chunk (strict mode)",
	[VMT_E_STATE - VMT_E_BASE] = "call not valid in this state",
	[VMT_E_RING - VMT_E_BASE] = "ring index out of bounds (producer fault)",
	[VMT_E_REPEAT - VMT_E_BASE] = "repeats requests an earlier chunk holds",
};

const char *vmt_strerror(int err)
{
	if (err < 0)
		err = -err;
	if (err == 0)
		return "success";
	if (err > VMT_E_BASE && err < VMT_E_MAX)
		return vmt_messages[err - VMT_E_BASE];
	if (err < VMT_E_BASE)
		return strerror(err);
	return "unknown error";
}

static void vmt_log_stderr(enum vmt_log_level level, const char *msg, void *ctx)
{
	(void)ctx;
	if (level <= VMT_LOG_WARN)
		fprintf(stderr, "vmtrail: %s\n", msg);
}

static vmt_log_fn vmt_log_hook = vmt_log_stderr;
static void *vmt_log_ctx;

void vmt_set_log_fn(vmt_log_fn fn, void *ctx)
{
	vmt_log_hook = fn;
	vmt_log_ctx = ctx;
}

void vmt_log(enum vmt_log_level level, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!vmt_log_hook)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	vmt_log_hook(level, line, vmt_log_ctx);
}
