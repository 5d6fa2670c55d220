#ifndef FEEDBACK_CSQLITE_TUNING_H
#define FEEDBACK_CSQLITE_TUNING_H

#include <sqlite3.h>

/// Turns off SQLite's memory statistics, whose global mutex every allocation of SQLite's takes
/// (feedback never reads them). sqlite3_config is variadic, which Swift cannot call, hence this
/// shim. It only works before SQLite is first used in the process: returns SQLite's result code
/// (0 when applied, 21, SQLITE_MISUSE, when SQLite was already in use).
int feedback_sqlite_tune(void);

/// Asks the kernel to start writing the pages of `db`'s main file that SQLite has written so far
/// to the disk, and returns without waiting for them (Linux's sync_file_range with
/// SYNC_FILE_RANGE_WRITE). A long import calls it now and then, so that the sync of its commit
/// finds little left to write: otherwise the whole store waits for that one sync, since a few
/// hundred megabytes stay below the kernel's own threshold for writing back. It changes nothing
/// about durability: the commit still syncs. SQLite does not give out its file descriptor, so it
/// is found among the process's open files (/proc/self/fd) as the one on the same file; none is
/// opened or closed (closing a descriptor of the file would drop SQLite's locks on it). Returns 0
/// when writing was started, -1 where it was not (no such descriptor, an in-memory database, a
/// system without sync_file_range).
int feedback_sqlite_start_writeback(sqlite3 *db);

/// The descriptor `feedback_sqlite_start_writeback` finds for `db`'s main file, or -1. It is
/// SQLite's: the caller must not close it.
int feedback_sqlite_file_descriptor(sqlite3 *db);

#endif
