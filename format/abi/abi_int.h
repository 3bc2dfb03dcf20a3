/*
 * abi_int.h - the vm_event decoder table shared by the files of format/abi/
 * (never installed).  One descriptor per ABI version says where every
 * register and payload field lives; abi_codec.c walks those tables, so no
 * per-version code exists anywhere.  Layouts: vm_event-abi.md sections 2-5,
 * summarised in format/abi/README.md.
 */
#ifndef VMT_ABI_INT_H
#define VMT_ABI_INT_H

#include <stdint.h>

#include "vmt/event.h"

/*
 * One little-endian field: @id is an enum vmt_reg or enum vmt_pfield,
 * @off is relative to the start of its block (register block or `u`).
 * @width 0 marks a register the layout lacks (the tables are generated from
 * one row per register, see abi_table.c).
 */
struct vmt_abi_field {
	uint8_t id;
	uint8_t width;
	uint16_t off;
};

/* A union member of `u` (or a register block): its fields in byte order. */
struct vmt_abi_layout {
	const struct vmt_abi_field *fields;
	uint8_t n;
};

/**
 * struct vmt_abi_desc - everything version-specific about one ABI version
 * @entry_size:      bytes of a request/response
 * @regs:            the x86 register block (absent registers have width 0)
 * @reg_mask:        bit (1 << enum vmt_reg) for each register @regs carries
 * @payload:         the `u` member each reason uses, NULL if the reason has
 *                   no member in this version (its bytes stay in raw_u only)
 * @fast_singlestep: the response-only member read when the entry's flags
 *                   carry VMT_FLAG_FAST_SINGLESTEP; NULL before v6
 * @xen_first:       first Xen release speaking the version, major << 16 |
 *                   minor (as XENVER_version answers)
 * @xen_ref:         the release xensim simulates for it, same encoding
 */
struct vmt_abi_desc {
	uint16_t entry_size;
	const struct vmt_abi_layout *regs;
	uint64_t reg_mask;
	const struct vmt_abi_layout *payload[VMT_REASON_COUNT];
	const struct vmt_abi_layout *fast_singlestep;
	uint32_t xen_first;
	uint32_t xen_ref;
};

/* The descriptor of @version, NULL outside VMT_ABI_MIN..VMT_ABI_MAX. */
const struct vmt_abi_desc *vmt_abi_desc(uint32_t version);

#endif
