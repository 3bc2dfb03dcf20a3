# memory: a memory-hungry guest.  Reads, writes and executes over large gfn
# ranges (page cache, heap, JIT), with enough switches to change CR3 often.
name memory
syscall-entry rip=0xffffffff81e00000 gfn=0x1e00
process kernel  cr3=0x0000000001c0a000 code=0xffffffff81000000-0xffffffff81800000 gfn=0x1000 data=0x2000-0x8000
process java    cr3=0x000000000c4f1000 code=0x00007f0000000000-0x00007f0000800000 gfn=0x60000 data=0x61000-0x70000
process dd      cr3=0x000000000d88a000 code=0x0000555555554000-0x0000555555580000 gfn=0x38000 data=0x10000-0x30000

phase warmup steps=500
  access 100 kinds=w
  switch   5
phase steady
  access  150 kinds=r,w
  access   30 gfns=0x60000-0x60800 kinds=x
  access   20 gfns=0x3000-0x3100 kinds=r,w,x
  syscall  10 nrs=0,1,9,11,12,28
  switch   10
  marker    1
