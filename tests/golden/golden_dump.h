/*
 * golden_dump.h - the text dump that freezes a trace's decoded content in
 * tests/golden/: written once by make_golden, compared by test_golden.
 */
#ifndef VMT_GOLDEN_DUMP_H
#define VMT_GOLDEN_DUMP_H

#include <stdio.h>

/* Dump a readable trace (recover mode): header, summary, index, records. */
int golden_dump(const char *path, FILE *out);
/* Outcome of a strict and a recover read, for tests/golden/invalid/. */
void golden_errors(const char *path, FILE *out);
/* "VMT_E_MAGIC", "ENOENT"...: stable names for error codes. */
const char *golden_err_name(int err);

#endif
