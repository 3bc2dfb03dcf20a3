-- Which control-register bits does the guest flip?  CR0/CR4/XCR0 writes by
-- the bits they change (old XOR new, written (a | b) & ~(a & b) because
-- SQLite has no XOR operator); CR3 writes are context switches.
SELECT run_id,
       CASE "index" WHEN 0 THEN 'cr0' WHEN 1 THEN 'cr3' WHEN 2 THEN 'cr4'
                    WHEN 3 THEN 'xcr0' ELSE 'cr' || "index" END AS reg,
       CASE WHEN "index" = 1 THEN '(address space switch)'
            ELSE printf('0x%x', (old_value | new_value) & ~(old_value & new_value))
       END AS changed_bits,
       count(*) AS writes
FROM write_ctrlreg
GROUP BY run_id, "index", changed_bits
ORDER BY run_id, writes DESC;
