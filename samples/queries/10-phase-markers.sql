-- When did each vCPU enter each test phase?  Guest requests with
-- rbx = 0x564d54 ("VMT") are phase markers, rax the phase number; the
-- markers table holds the markers sent to the recorder.
SELECT run_id, 'guest' AS source, vcpu, rax AS phase, ts_ns / 1e9 AS at_s
FROM events WHERE reason = 8 AND rbx = 0x564d54
UNION ALL
SELECT run_id, 'recorder', NULL, text, ts_ns / 1e9 FROM markers
ORDER BY run_id, at_s;
