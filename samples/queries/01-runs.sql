-- Which runs are in this database, and were they recorded under the same
-- conditions?  Equal fingerprints mean equal ABI, vCPUs, monitors, labels.
SELECT run_id, trace_path, start_wall, duration_ns / 1e9 AS seconds,
       abi_version, vcpus, monitors, labels, fingerprint,
       imported_events, lost, complete
FROM runs ORDER BY run_id;
