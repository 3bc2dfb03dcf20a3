# cand-syscall-2x: base.wl with syscall 39 exactly 2x as often per
# unit of the other work in phase login: the demo's candidate.
#
# In base.wl's login (weights sum 1000) syscall 39 comes from the
# 0-40 line (500/41: the 41 numbers are equally likely) and its own line
# (60): 500/41 + 60 = 2960/41 per 1000 steps; everything else is
# 1000 - 2960/41 = 38040/41.  Here login's weights are base's times 41,
# so they stay integers: the 0-40 line 20500 (500 per number), access
# 12300, cpuid 2050, msr 3690; the other work is unchanged at
# 20000 + 12300 + 2050 + 3690 = 38040, and syscall 39 is 500 + D.  For
# syscall 39 to other work to be 2x base's 2960/38040:
# 500 + D = 2 * 2960, so D = 5420.  (Scaling only the dedicated line
# by 2 would raise that ratio by less, since the 0-40 line stays.)
name cand-syscall-2x
syscall-entry rip=0xffffffff81e00000 gfn=0x1e00
process kernel cr3=0x1c0a000 code=0xffffffff81000000-0xffffffff81800000 gfn=0x1000 data=0x2000-0x20ff
process app    cr3=0x4a10000 code=0x400000-0x480000 gfn=0x20000 data=0x21000-0x210ff

phase boot steps=400
  cpuid   300 leaves=0,1,7,0xd,0x80000000-0x80000008
  msr     100 msrs=0xc0000080
  access  200 gfns=0x21000-0x2100f kinds=r,w
  syscall 400 nrs=0-40
phase login steps=1200
  syscall 20500 nrs=0-40
  syscall  5420 nrs=39
  access  12300 gfns=0x21000-0x2103f kinds=r,w
  cpuid    2050 leaves=1
  msr      3690 msrs=0x6e0
phase work
  syscall 500 nrs=0-40
  access  300 gfns=0x21000-0x2103f kinds=r,w
  msr     100 msrs=0x6e0
  cpuid    50 leaves=1,7
  breakpoint 50
