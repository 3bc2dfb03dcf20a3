/*
 * keys.h - markers inside struct vmt_an_bkey.b that distinguish key
 * variants of one reason (analyze/README.md "Behaviour keys").
 */
#ifndef VMT_ANALYZE_KEYS_H
#define VMT_ANALYZE_KEYS_H

#include <stdint.h>

/* mem_access execute fault keyed by its RIP (a = rip) */
#define VMT_AN_KEY_EXEC 0x100u
/* execute fault or breakpoint at the syscall entry (a = rax) */
#define VMT_AN_KEY_SYSCALL 0x200u

/*
 * The behaviour key (a, b) of each reason that has a detail table: the one
 * definition both loaders render as SQL, load.c for SQLite and load_ch.c
 * for ClickHouse (analyze/README.md "Behaviour keys").  a is a column; b
 * follows @b_rule over columns @b and @b2.  With @exec_rekey, an access
 * whose b holds VMT_MEM_ACCESS_X is keyed afterwards by the syscall number
 * (b = VMT_AN_KEY_SYSCALL) when the event is at the syscall entry, else by
 * its RIP (b = VMT_AN_KEY_EXEC).
 */
enum vmt_an_b_rule {
	VMT_AN_B_ZERO,     /* 0 */
	VMT_AN_B_COLUMN,   /* the column b */
	VMT_AN_B_ACCESS,   /* b & 7: read, write, execute */
	VMT_AN_B_CR_BITS,  /* the bits b2 changed from b (0 when a = 1: CR3) */
};

struct vmt_an_detail_key {
	uint32_t reason;
	const char *table, *a, *b, *b2;
	enum vmt_an_b_rule b_rule;
	int exec_rekey;
};

#define VMT_AN_DETAIL_KEYS 8
extern const struct vmt_an_detail_key vmt_an_detail_keys[VMT_AN_DETAIL_KEYS];

/* Syscall numbers at or past this pool into one key (load.c keeps 16 bits). */
#define VMT_AN_SYSNO_MAX 0xfffeu

#endif
