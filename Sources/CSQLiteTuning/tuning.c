#define _GNU_SOURCE
#include "CSQLiteTuning.h"
#include <sqlite3.h>

#ifdef __linux__
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#endif

int feedback_sqlite_tune(void) {
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int feedback_sqlite_file_descriptor(sqlite3 *db) {
#ifdef __linux__
    const char *path = sqlite3_db_filename(db, "main");
    struct stat file;
    if (path == NULL || path[0] == 0 || stat(path, &file) != 0) return -1;
    DIR *fds = opendir("/proc/self/fd");
    if (fds == NULL) return -1;
    int found = -1;
    struct dirent *entry;
    while (found < 0 && (entry = readdir(fds)) != NULL) {
        char *end;
        long fd = strtol(entry->d_name, &end, 10);
        if (end == entry->d_name || *end != 0 || fd == dirfd(fds)) continue;
        struct stat seen;
        if (fstat((int)fd, &seen) == 0 && seen.st_dev == file.st_dev && seen.st_ino == file.st_ino) found = (int)fd;
    }
    closedir(fds);
    return found;
#else
    (void)db;
    return -1;
#endif
}

int feedback_sqlite_start_writeback(sqlite3 *db) {
#ifdef __linux__
    int fd = feedback_sqlite_file_descriptor(db);
    if (fd < 0) return -1;
    return sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE) == 0 ? 0 : -1;
#else
    (void)db;
    return -1;
#endif
}
