# mixed (the default): a bit of everything a monitor can see, so every
# event source enabled by a consumer gets traffic.
name mixed
syscall-entry rip=0xffffffff81e00000 gfn=0x1e00
process kernel  cr3=0x0000000001c0a000 code=0xffffffff81000000-0xffffffff81800000 gfn=0x1000 data=0x2000-0x2400
process init    cr3=0x0000000004a10000 code=0x0000555555554000-0x00005555555d0000 gfn=0x20000 data=0x21000-0x21200
process sshd    cr3=0x0000000007c3d000 code=0x0000555555554000-0x0000555555640000 gfn=0x24000 data=0x25000-0x25400
process python  cr3=0x000000000e6a0000 code=0x00007f1234000000-0x00007f1234400000 gfn=0x70000 data=0x71000-0x72000

phase start steps=200
  cpuid   40 leaves=0,1,7,0xd,0x80000000-0x80000008 subleaves=0-1
  msr     10 msrs=0xc0000080,0xc0000082
  cr      10 regs=cr0,cr4,xcr0
  descriptor 2
phase run
  switch   20
  syscall  60 nrs=0-334
  access   30 kinds=r,w
  access    5 gfns=0x70000-0x70400 kinds=x
  cpuid     8
  msr       8 msrs=0x6e0,0xc0000100,0xc0000102
  cr        4
  breakpoint 3
  debug     1
  descriptor 1
  vmexit    2
  marker    2 id=7
