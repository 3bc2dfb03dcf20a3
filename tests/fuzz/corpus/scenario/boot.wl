# boot: a kernel coming up.  CPU feature probing (CPUID), MSR and control
# register set-up, descriptor tables, then the first processes start.
name boot
syscall-entry rip=0xffffffff81e00000 gfn=0x1e00
process kernel  cr3=0x0000000001c0a000 code=0xffffffff81000000-0xffffffff81800000 gfn=0x1000 data=0x2000-0x2400
process init    cr3=0x0000000004a10000 code=0x0000555555554000-0x00005555555d0000 gfn=0x20000 data=0x21000-0x21200
process udevd   cr3=0x0000000006b22000 code=0x0000555555554000-0x0000555555640000 gfn=0x24000 data=0x25000-0x25400

phase firmware steps=400
  cpuid   60 leaves=0-0x16,0x80000000-0x80000008 subleaves=0-3
  msr     10 msrs=0xc0000080,0x1b,0x277
  cr      10 regs=cr0,cr4
  descriptor 5 descs=gdtr,idtr
phase kernel-init steps=1500
  cpuid   20 leaves=0,1,7,0xd,0x80000001
  msr     15 msrs=0xc0000080,0xc0000081,0xc0000082,0xc0000084,0xc0000100,0xc0000101,0xc0000102
  cr      10 regs=cr0,cr4,xcr0
  descriptor 5 descs=gdtr,idtr,ldtr,tr
  access  10
  breakpoint 1
phase userspace
  switch  10
  syscall 40 nrs=0-3,9-12,21,56,59,61,257,262
  access  20
  cpuid    3 leaves=1,7
  msr      5 msrs=0x6e0
  marker   1
