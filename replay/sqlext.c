/*
 * sqlext.c - vmtrail as a loadable SQLite extension (vmtrail.so): any
 * SQLite client (the sqlite3 shell's ".load vmtrail", Python's
 * load_extension) gets the SQL functions and vmt_events() that vmtrail's
 * own connections have (SCHEMA.md "The vmtrail extension").
 */
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

#include "replay_int.h"

VMT_API int sqlite3_vmtrail_init(sqlite3 *db, char **errmsg,
				 const sqlite3_api_routines *api);

VMT_API int sqlite3_vmtrail_init(sqlite3 *db, char **errmsg,
				 const sqlite3_api_routines *api)
{
	int rc;

	SQLITE_EXTENSION_INIT2(api);
	rc = vmt_sqlfunc_register(db);
	if (rc != SQLITE_OK)
		*errmsg = sqlite3_mprintf("vmtrail: registering the SQL functions: %s",
					  sqlite3_errstr(rc));
	return rc;
}
