-- Which system calls does the guest make?  An execute fault at the kernel's
-- syscall entry (MSR_LSTAR) is a syscall, and rax holds its number.  Set
-- the entry to your kernel's; 0xffffffff81e00000 is the xensim samples'.
SELECT run_id, rax AS syscall_nr, count() AS calls
FROM events
WHERE run_id IN (SELECT run_id FROM runs) AND reason = 1
  AND rip = -2116026368  -- 0xffffffff81e00000 as Int64 (two's complement)
  AND (run_id, event_id) IN (SELECT run_id, event_id FROM mem_access WHERE bitAnd(flags, 4) != 0)
GROUP BY run_id, rax
ORDER BY run_id, calls DESC
LIMIT 50;
