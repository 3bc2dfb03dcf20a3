/*
 * faults.c - the --fault NAME[=ARG] table: producer misbehaviour on
 * demand, so consumers can be tested against it.  Exact behaviour is
 * documented in record/xensim/README.md ("Faults").
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

/*
 * @at_default/@arg_default: the request index and argument when ARG is
 * omitted; @arg_is_at: ARG is the request count (ring-jump, domain-die);
 * otherwise ARG is "VALUE[@INDEX]".
 */
static const struct {
	const char *name;
	bool arg_is_at;
	uint64_t at_default, arg_default;
} defs[VMT_FAULT_COUNT] = {
	[VMT_FAULT_RING_JUMP] = { "ring-jump", true, 100, 0 },
	[VMT_FAULT_UNKNOWN_REASON] = { "unknown-reason", false, 10, 99 },
	[VMT_FAULT_BAD_VERSION] = { "bad-version", false, 10, 0 },
	[VMT_FAULT_DOMAIN_DIE] = { "domain-die", true, 1000, 0 },
	[VMT_FAULT_SLOW_EVTCHN] = { "slow-evtchn", false, 0, 1000 },
};

static int num(const char *s, const char *end, uint64_t *out)
{
	char *e;

	if (s == end || *s == '-')
		return -EINVAL;
	errno = 0;
	*out = strtoull(s, &e, 0);
	return errno || e != end ? -EINVAL : 0;
}

int vmt_sim_fault_parse(struct vmt_sim_faults *f, const char *spec,
			uint32_t abi)
{
	const char *eq = strchr(spec, '=');
	size_t n = eq ? (size_t)(eq - spec) : strlen(spec);
	int k = 0;

	while (k < VMT_FAULT_COUNT &&
	       (strlen(defs[k].name) != n || strncmp(defs[k].name, spec, n)))
		k++;
	if (k == VMT_FAULT_COUNT)
		return -EINVAL;
	f->on[k] = true;
	f->at[k] = defs[k].at_default;
	/* bad-version: the newest version but ours */
	f->arg[k] = k == VMT_FAULT_BAD_VERSION ?
			    (abi == VMT_ABI_MAX ? VMT_ABI_MAX - 1 : VMT_ABI_MAX) :
						 defs[k].arg_default;
	if (!eq)
		return 0;
	const char *arg = eq + 1, *end = arg + strlen(arg);
	if (defs[k].arg_is_at)
		return num(arg, end, &f->at[k]) || !f->at[k] ? -EINVAL : 0;
	const char *at = strchr(arg, '@');
	if (at && (k == VMT_FAULT_SLOW_EVTCHN || num(at + 1, end, &f->at[k])))
		return -EINVAL;
	return num(arg, at ? at : end, &f->arg[k]);
}
