# cand-new-msr: base.wl plus writes to MSR 0xc0000081 (STAR) in phase
# work: a new behaviour the comparison must name, in that phase.
name cand-new-msr
syscall-entry rip=0xffffffff81e00000 gfn=0x1e00
process kernel cr3=0x1c0a000 code=0xffffffff81000000-0xffffffff81800000 gfn=0x1000 data=0x2000-0x20ff
process app    cr3=0x4a10000 code=0x400000-0x480000 gfn=0x20000 data=0x21000-0x210ff

phase boot steps=400
  cpuid   300 leaves=0,1,7,0xd,0x80000000-0x80000008
  msr     100 msrs=0xc0000080
  access  200 gfns=0x21000-0x2100f kinds=r,w
  syscall 400 nrs=0-40
phase login steps=1200
  syscall 500 nrs=0-40
  syscall  60 nrs=39
  access  300 gfns=0x21000-0x2103f kinds=r,w
  cpuid    50 leaves=1
  msr      90 msrs=0x6e0
phase work
  syscall 500 nrs=0-40
  access  300 gfns=0x21000-0x2103f kinds=r,w
  msr     100 msrs=0x6e0
  msr      30 msrs=0xc0000081
  cpuid    50 leaves=1,7
  breakpoint 50
