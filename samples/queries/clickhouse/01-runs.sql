-- Which runs are loaded, and were they recorded under the same conditions?
-- Equal fingerprints mean equal ABI, vCPUs, monitors, labels.  A run is
-- loaded once its runs row exists (CLICKHOUSE.md): every query here starts
-- from runs, so a load still running or killed halfway stays invisible.
SELECT run_id, uuid, host, start_wall, duration_ns / 1e9 AS seconds,
       abi_version, vcpus, labels, fingerprint, imported_events, lost, complete
FROM runs ORDER BY start_wall_ns, uuid;
