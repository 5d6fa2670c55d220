#include "CSQLiteTuning.h"
#include <sqlite3.h>

int feedback_sqlite_tune(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}
