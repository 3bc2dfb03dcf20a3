-- MSRs written by the runs of one label and by none of another's: set the
-- two labels (here commit=bbb against commit=aaa).
SELECT 'msr' AS kind, concat('0x', lower(hex(toUInt64(msr)))) AS key, count() AS events
FROM mov_to_msr
WHERE run_id IN (SELECT run_id FROM run_labels WHERE key = 'commit' AND value = 'bbb')
  AND run_id IN (SELECT run_id FROM runs)
  AND msr NOT IN (SELECT msr FROM mov_to_msr WHERE run_id IN
                  (SELECT run_id FROM run_labels WHERE key = 'commit' AND value = 'aaa'))
GROUP BY msr
ORDER BY events DESC;
