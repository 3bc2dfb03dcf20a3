/*
 * abi_doc.h - the vm_event layouts of vm_event-abi.md sections 3-5, typed
 * into the tests a second time, as absolute entry offsets, independently of
 * format/abi/abi_table.c.  The tests compare the decoder against these
 * lists, so a wrong row in either place fails a test.
 */
#ifndef VMT_TEST_ABI_DOC_H
#define VMT_TEST_ABI_DOC_H

#include <stddef.h>
#include <stdint.h>

/* @id is an enum vmt_reg or enum vmt_pfield; @off is from entry byte 0. */
struct doc_field {
	int id;
	unsigned off;
	unsigned width;
};

struct doc_list {
	const struct doc_field *f;
	size_t n;
};

/* Request size per doc section 3, 0 outside 1..7. */
size_t doc_entry_size(unsigned version);
/* The x86 register block of @version (doc 5.1). */
struct doc_list doc_regs(unsigned version);
/* The `u` member @reason uses in @version (doc 4.1/4.2); n == 0 if none. */
struct doc_list doc_payload(unsigned version, unsigned reason);
/* fast_singlestep (doc 4.2), v6+ with the FAST_SINGLESTEP flag. */
struct doc_list doc_fast_singlestep(unsigned version);

uint64_t doc_mask(struct doc_list l);
uint64_t doc_le(const uint8_t *b, unsigned off, unsigned width);
void doc_put_le(uint8_t *b, unsigned off, unsigned width, uint64_t v);
uint64_t doc_rand(uint64_t *state);
void doc_fill(uint8_t *b, size_t n, uint64_t seed);

#endif
