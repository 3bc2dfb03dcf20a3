-- Which MSRs and CPUID leaves does run 2 touch that run 1 never did?
-- (Change the run ids; vmtrail-analyze diff does this with statistics.)
WITH params(base, cand) AS (SELECT 1, 2)
SELECT 'msr' AS kind, printf('0x%x', msr) AS key, count(*) AS events
FROM mov_to_msr, params WHERE run_id = params.cand
  AND msr NOT IN (SELECT msr FROM mov_to_msr, params WHERE run_id = params.base)
GROUP BY msr
UNION ALL
SELECT 'cpuid', printf('0x%x/0x%x', leaf, subleaf), count(*)
FROM cpuid c, params WHERE c.run_id = params.cand
  AND NOT EXISTS (SELECT 1 FROM cpuid o, params p2 WHERE o.run_id = p2.base
                  AND o.leaf = c.leaf AND o.subleaf = c.subleaf)
GROUP BY leaf, subleaf
ORDER BY events DESC;
