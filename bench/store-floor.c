/* store-floor: what SQLite alone needs to store the rows of a feedback store, with no parsing,
 * mapping or digests: the floor under `feedback import` for the store's current row layout.
 *
 * usage: store-floor STORE [SCRATCH]   (bench/README.md: cc -O2 bench/store-floor.c -lsqlite3)
 * Reads every row of STORE's response table into memory, then times inserting them into a new
 * database at SCRATCH (default /tmp/store-floor.sqlite) with the same table and indexes, in one
 * transaction, bound through the C API, once per setting:
 *   wal+check      WAL, synchronous=NORMAL, identity check then insert (what an import does)
 *   wal            the same without the identity check
 *   delete+check   rollback journal instead of WAL
 *   delete,after   rollback journal, no identity check, indexes built after the load
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { COLUMNS = 13 };
typedef struct {
    char *text[COLUMNS];
    int length[COLUMNS];
    sqlite3_int64 number[COLUMNS];
    int type[COLUMNS];
} Row;

static const char *columns =
    "form_id, form_version, response_key, submitted_at, month, department, answers, other, extra, source, position, "
    "import_id, key_hash";
static const char *table =
    "CREATE TABLE response (id INTEGER PRIMARY KEY, form_id TEXT NOT NULL, form_version INTEGER NOT NULL, "
    "response_key TEXT NOT NULL, submitted_at TEXT, month TEXT, department TEXT, answers TEXT NOT NULL, other TEXT, "
    "extra TEXT, source TEXT NOT NULL, position INTEGER NOT NULL, import_id INTEGER NOT NULL, key_hash INTEGER NOT NULL)";
static const char *indexes =
    "CREATE INDEX response_month ON response(form_id, month, department); "
    "CREATE INDEX response_key_hash ON response(key_hash)";

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void check(int code, sqlite3 *db, const char *what) {
    if (code != SQLITE_OK && code != SQLITE_DONE && code != SQLITE_ROW) {
        fprintf(stderr, "store-floor: %s: %s\n", what, sqlite3_errmsg(db));
        exit(1);
    }
}

static double run(Row *rows, int count, const char *path, const char *journal, int identity, int indexAfter) {
    char name[4096];
    const char *suffixes[] = {"", "-wal", "-shm", "-journal"};
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "%s%s", path, suffixes[i]);
        remove(name);
    }
    sqlite3 *db;
    check(sqlite3_open(path, &db), db, "open");
    char pragmas[256];
    snprintf(pragmas, sizeof pragmas, "PRAGMA journal_mode=%s; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-32768", journal);
    check(sqlite3_exec(db, pragmas, 0, 0, 0), db, "pragmas");
    check(sqlite3_exec(db, table, 0, 0, 0), db, "table");
    if (!indexAfter) check(sqlite3_exec(db, indexes, 0, 0, 0), db, "indexes");
    double start = now();
    check(sqlite3_exec(db, "BEGIN IMMEDIATE", 0, 0, 0), db, "begin");
    sqlite3_stmt *insert, *exists;
    char sql[1024];
    snprintf(sql, sizeof sql, "INSERT INTO response (%s) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", columns);
    check(sqlite3_prepare_v2(db, sql, -1, &insert, 0), db, "prepare insert");
    check(sqlite3_prepare_v2(db, "SELECT EXISTS(SELECT 1 FROM response WHERE key_hash = ? AND form_id = ? AND response_key = ?)", -1,
              &exists, 0),
        db, "prepare check");
    for (int r = 0; r < count; r++) {
        Row *row = &rows[r];
        if (identity) {
            sqlite3_bind_int64(exists, 1, row->number[12]);
            sqlite3_bind_text(exists, 2, row->text[0], row->length[0], SQLITE_STATIC);
            sqlite3_bind_text(exists, 3, row->text[2], row->length[2], SQLITE_STATIC);
            check(sqlite3_step(exists), db, "check");
            sqlite3_reset(exists);
        }
        for (int c = 0; c < COLUMNS; c++) {
            if (row->type[c] == SQLITE_INTEGER) sqlite3_bind_int64(insert, c + 1, row->number[c]);
            else if (row->type[c] == SQLITE_NULL) sqlite3_bind_null(insert, c + 1);
            else sqlite3_bind_text(insert, c + 1, row->text[c], row->length[c], SQLITE_STATIC);
        }
        check(sqlite3_step(insert), db, "insert");
        sqlite3_reset(insert);
    }
    sqlite3_finalize(insert);
    sqlite3_finalize(exists);
    if (indexAfter) check(sqlite3_exec(db, indexes, 0, 0, 0), db, "indexes");
    check(sqlite3_exec(db, "COMMIT", 0, 0, 0), db, "commit");
    check(sqlite3_close(db), db, "close");  // a WAL store is checkpointed here, as at the end of an import
    return now() - start;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: store-floor STORE [SCRATCH]\n");
        return 2;
    }
    const char *scratch = argc > 2 ? argv[2] : "/tmp/store-floor.sqlite";
    sqlite3 *source;
    check(sqlite3_open_v2(argv[1], &source, SQLITE_OPEN_READONLY, 0), source, "open the store");
    sqlite3_stmt *select;
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT %s FROM response ORDER BY id", columns);
    check(sqlite3_prepare_v2(source, sql, -1, &select, 0), source, "read the store");
    int capacity = 1 << 16, count = 0;
    Row *rows = malloc(sizeof(Row) * capacity);
    while (sqlite3_step(select) == SQLITE_ROW) {
        if (count == capacity) rows = realloc(rows, sizeof(Row) * (capacity *= 2));
        Row *row = &rows[count++];
        for (int c = 0; c < COLUMNS; c++) {
            row->type[c] = sqlite3_column_type(select, c);
            row->number[c] = sqlite3_column_int64(select, c);
            const unsigned char *text = sqlite3_column_text(select, c);
            row->length[c] = sqlite3_column_bytes(select, c);
            row->text[c] = text ? memcpy(malloc(row->length[c] + 1), text, row->length[c] + 1) : 0;
        }
    }
    sqlite3_finalize(select);
    sqlite3_close(source);
    printf("rows: %d\n", count);
    printf("wal+check      %.2f s\n", run(rows, count, scratch, "WAL", 1, 0));
    printf("wal            %.2f s\n", run(rows, count, scratch, "WAL", 0, 0));
    printf("delete+check   %.2f s\n", run(rows, count, scratch, "DELETE", 1, 0));
    printf("delete,after   %.2f s\n", run(rows, count, scratch, "DELETE", 0, 1));
    return 0;
}
