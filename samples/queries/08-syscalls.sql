-- Which system calls does the guest make?  An execute fault at the kernel's
-- syscall entry (MSR_LSTAR) is a syscall, and rax holds its number.  Set
-- lstar to your kernel's entry; 0xffffffff81e00000 is the xensim samples'.
-- (Inside vmtrail tools vmt_reg(entry, 'msr_lstar') reads it per event.)
WITH params(lstar) AS (SELECT 0xffffffff81e00000)
SELECT e.run_id, e.rax AS syscall_nr, count(*) AS calls
FROM mem_access m
JOIN events e USING (event_id), params
WHERE m.flags & 4 AND e.rip = params.lstar
GROUP BY e.run_id, e.rax
ORDER BY e.run_id, calls DESC
LIMIT 50;
