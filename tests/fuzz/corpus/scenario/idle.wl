# idle: a guest doing almost nothing.  Timer reprogramming (TSC deadline
# writes), rare wake-ups of a daemon, a little housekeeping.  Slow by default.
name idle
rate 200
syscall-entry rip=0xffffffff81e00000 gfn=0x1e00
process swapper cr3=0x0000000001c0a000 code=0xffffffff81000000-0xffffffff81200000 gfn=0x1000 data=0x2000-0x2010
process cron    cr3=0x000000000a31c000 code=0x0000555555554000-0x0000555555580000 gfn=0x30000 data=0x31000-0x31040

phase idle
  msr     60 msrs=0x6e0
  switch   8
  syscall  6 nrs=0,1,7,35,230,232
  access   4
  cpuid    1 leaves=1
  marker   1 id=100
