/*
 * keys.h - markers inside struct vmt_an_bkey.b that distinguish key
 * variants of one reason (analyze/README.md "Behaviour keys").
 */
#ifndef VMT_ANALYZE_KEYS_H
#define VMT_ANALYZE_KEYS_H

/* mem_access execute fault keyed by its RIP (a = rip) */
#define VMT_AN_KEY_EXEC 0x100u
/* execute fault or breakpoint at the syscall entry (a = rax) */
#define VMT_AN_KEY_SYSCALL 0x200u

#endif
