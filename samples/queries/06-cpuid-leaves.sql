-- Which CPUID leaves does the guest ask for (feature probing at boot,
-- timing loops later)?
SELECT run_id, printf('0x%x', leaf) AS leaf, printf('0x%x', subleaf) AS subleaf,
       count(*) AS calls
FROM cpuid
GROUP BY run_id, leaf, subleaf
ORDER BY run_id, calls DESC;
