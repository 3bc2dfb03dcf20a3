/*
 * test_phases.c - the phase-name text (SPEC.md "Text conventions", header
 * type 13): building it in canonical order, its grammar, and a trace that
 * carries it through writer and reader; a malformed one is refused both by
 * the writer and, in a file, by the reader.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format_int.h"
#include "tf.h"

Test(phases, add_keeps_codes_ascending)
{
	char t[64] = "";

	cr_assert_eq(vmt_phase_names_add(t, sizeof(t), 5, "work"), 0);
	cr_assert_eq(vmt_phase_names_add(t, sizeof(t), 0, "boot"), 0);
	cr_assert_eq(vmt_phase_names_add(t, sizeof(t), 12, "idle loop"), 0);
	cr_assert_eq(vmt_phase_names_add(t, sizeof(t), 1, "login"), 0);
	cr_assert_str_eq(t, "0=boot;1=login;5=work;12=idle loop");
	cr_assert_eq(vmt_phase_names_check(t), 0);
}

Test(phases, add_refuses)
{
	char t[16] = "", big[VMT_PHASE_NAME_MAX + 1];
	static const char *const bad[] = { "", "a;b", "a,b", "a=b", "tab\there", "del\x7f" };

	cr_assert_eq(vmt_phase_names_add(t, sizeof(t), 3, "x"), 0);
	cr_assert_eq(vmt_phase_names_add(t, sizeof(t), 3, "y"), -EEXIST);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(vmt_phase_names_add(t, sizeof(t), 4, bad[i]), -EINVAL,
			     "name '%s'", bad[i]);
	memset(big, 'n', sizeof(big));
	big[VMT_PHASE_NAME_MAX] = '\0';
	cr_expect_eq(vmt_phase_names_add(t, sizeof(t), 4, big), -EINVAL, "64 bytes");
	cr_expect_eq(vmt_phase_names_add(t, sizeof(t), 4, "a name that does not fit"),
		     -ENOSPC);
	cr_assert_str_eq(t, "3=x", "a refusal leaves the text alone");
	big[VMT_PHASE_NAME_MAX - 1] = '\0';
	char roomy[128] = "";
	cr_expect_eq(vmt_phase_names_add(roomy, sizeof(roomy), 0, big), 0, "63 bytes");
}

Test(phases, grammar)
{
	static const char *const good[] = {
		"", "0=a", "0=boot;1=login;2=work", "7=x y",
		"18446744073709551615=max",
	};
	static const char *const bad[] = {
		"1=b;0=a", "0=a;0=b", "00=a", "-1=a", "+1=a", "a=b", "0=", "=a",
		"0=a;", ";0=a", "0=a;;1=b", "0", "18446744073709551616=x", "0=a=b",
		"0=a,b",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_expect_eq(vmt_phase_names_check(good[i]), 0, "'%s'", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(vmt_phase_names_check(bad[i]), -VMT_E_CORRUPT, "'%s'", bad[i]);
}

Test(phases, walk)
{
	const char *p = "0=boot;2=work";
	char name[VMT_PHASE_NAME_MAX];
	uint64_t code;

	cr_assert_eq(vmt_phase_names_next(&p, &code, name), 1);
	cr_expect_eq(code, 0);
	cr_expect_str_eq(name, "boot");
	cr_assert_eq(vmt_phase_names_next(&p, &code, name), 1);
	cr_expect_eq(code, 2);
	cr_expect_str_eq(name, "work");
	cr_assert_eq(vmt_phase_names_next(&p, &code, name), 0);
}

static int write_with(const char *path, const char *names)
{
	struct vmt_trace_info info;
	struct vmt_writer *w;
	VMT_OPTS(vmt_writer_opts, o, .overwrite = 1);
	int err;

	tf_info(&info);
	strcpy(info.phase_names, names);
	err = vmt_writer_open(&w, path, &info, &o);
	if (err)
		return err;
	err = vmt_writer_append(w, VMT_REC_MARKER, 0, 0, 1, "m", 1);
	int e2 = vmt_writer_close(w, NULL);
	return err ? err : e2;
}

Test(phases, trace_round_trip_and_refusals)
{
	char path[512];
	struct vmt_reader *r;
	size_t len;

	snprintf(path, sizeof(path), "%s", tf_path("phases.vmt"));
	cr_assert_eq(write_with(path, "0=boot;1=login;2=work"), 0);
	cr_assert_eq(vmt_reader_open(&r, path, NULL), 0);
	cr_expect_str_eq(vmt_reader_info(r)->phase_names, "0=boot;1=login;2=work");
	cr_expect_eq(vmt_reader_integrity(r)->unknown_meta, 0);
	vmt_reader_close(r);

	cr_expect_eq(write_with(tf_path("bad.vmt"), "1=login;0=boot"), -VMT_E_CORRUPT,
		     "the writer refuses unsorted codes");

	/* The same file with its codes swapped in place: the reader refuses. */
	uint8_t *buf = tf_slurp(path, &len);
	uint32_t h = vmt_get32(buf + 12);
	uint8_t *at = NULL;
	for (uint32_t i = 0; !at && i + 14 <= h; i++)
		if (!memcmp(buf + i, "0=boot;1=login", 14))
			at = buf + i;
	cr_assert(at);
	memcpy(at, "1=boot;0=login", 14);
	vmt_put32(buf + h - 4, vmt_crc32c(0, buf, h - 4));
	cr_expect_eq(vmt_reader_open_mem(&r, buf, len, NULL), -VMT_E_CORRUPT);
	free(buf);
}

Test(phases, trace_without_names)
{
	const char *path = tf_path("plain.vmt");
	struct vmt_reader *r;

	cr_assert_eq(tf_write(path, 10, 512, VMT_CODEC_ZSTD, 1), 0);
	cr_assert_eq(vmt_reader_open(&r, path, NULL), 0);
	cr_expect_str_eq(vmt_reader_info(r)->phase_names, "");
	vmt_reader_close(r);
}
