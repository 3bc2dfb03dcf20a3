-- Which control-register bits does the guest flip?  CR3 writes are address
-- space switches, counted apart.
SELECT run_id,
       multiIf(`index` = 0, 'cr0', `index` = 1, 'cr3', `index` = 2, 'cr4',
               `index` = 3, 'xcr0', concat('cr', toString(`index`))) AS reg,
       if(`index` = 1, '(address space switch)',
          concat('0x', lower(hex(toUInt64(bitXor(ifNull(old_value, 0), ifNull(new_value, 0))))))) AS changed_bits,
       count() AS writes
FROM write_ctrlreg
WHERE run_id IN (SELECT run_id FROM runs)
GROUP BY run_id, `index`, changed_bits
ORDER BY run_id, writes DESC;
