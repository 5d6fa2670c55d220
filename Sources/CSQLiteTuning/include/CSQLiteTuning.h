#ifndef FEEDBACK_CSQLITE_TUNING_H
#define FEEDBACK_CSQLITE_TUNING_H

/// Turns off SQLite's memory statistics, whose global mutex every allocation of SQLite's takes
/// (feedback never reads them). sqlite3_config is variadic, which Swift cannot call, hence this
/// shim. It only works before SQLite is first used in the process: returns SQLite's result code
/// (0 when applied, 21, SQLITE_MISUSE, when SQLite was already in use).
int feedback_sqlite_tune(void);

#endif
