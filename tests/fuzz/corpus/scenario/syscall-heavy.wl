# syscall-heavy: a busy server.  Many short system calls from a handful of
# processes, frequent context switches; little else.
name syscall-heavy
syscall-entry rip=0xffffffff81e00000 gfn=0x1e00
process kernel  cr3=0x0000000001c0a000 code=0xffffffff81000000-0xffffffff81800000 gfn=0x1000 data=0x2000-0x2400
process nginx   cr3=0x0000000008d4e000 code=0x0000555555554000-0x0000555555700000 gfn=0x40000 data=0x41000-0x41800
process worker  cr3=0x0000000009f13000 code=0x0000555555554000-0x0000555555700000 gfn=0x40000 data=0x42000-0x42800
process postgres cr3=0x000000000b207000 code=0x0000555555554000-0x0000555555a00000 gfn=0x50000 data=0x51000-0x53000

phase serve
  syscall 200 nrs=0,1,3,7,17,18,20,44,45,232,233,257,262,281,288
  switch   25
  access    5
  msr       2 msrs=0x6e0
  marker    1
