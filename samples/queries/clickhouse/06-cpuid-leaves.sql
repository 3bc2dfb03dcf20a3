-- Which CPUID leaves does the guest ask for?
SELECT run_id, concat('0x', lower(hex(toUInt64(leaf)))) AS leaf_hex,
       concat('0x', lower(hex(toUInt64(subleaf)))) AS subleaf_hex, count() AS calls
FROM cpuid
WHERE run_id IN (SELECT run_id FROM runs)
GROUP BY run_id, leaf, subleaf
ORDER BY run_id, calls DESC;
