-- Which guest pages fault, and for what kind of access (r, w, x)?
SELECT run_id, printf('0x%x', gfn) AS gfn,
       (CASE WHEN flags & 1 THEN 'r' ELSE '-' END) ||
       (CASE WHEN flags & 2 THEN 'w' ELSE '-' END) ||
       (CASE WHEN flags & 4 THEN 'x' ELSE '-' END) AS access,
       count(*) AS faults
FROM mem_access
GROUP BY run_id, gfn, flags & 7
ORDER BY run_id, faults DESC
LIMIT 50;
