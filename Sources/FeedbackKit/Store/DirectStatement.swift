import GRDB
import GRDBSQLite

// Written by hand for speed: the statements an import runs once per record (the identity check, the
// insert, the digest rows of comments and bad reviews) are bound and stepped through SQLite's C API
// on GRDB's own connection. GRDB's
// `StatementArguments` boxes every value as a `DatabaseValue` in an array, which cost more than
// SQLite's own work on the row (measured with callgrind: bench/README.md).

/// One prepared statement on a GRDB connection, bound by position and stepped directly.
final class DirectStatement {
    private let db: Database
    private let handle: OpaquePointer

    /// SQLite copies bound text and blobs at once (the buffers are only borrowed while binding).
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(_ db: Database, sql: String) throws {
        self.db = db
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v3(db.sqliteConnection, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard code == SQLITE_OK, let statement else { throw Self.error(code, db) }
        handle = statement
    }

    deinit {
        sqlite3_finalize(handle)
    }

    /// The statement kept in `slot`, prepared there on first use.
    static func reused(_ slot: inout DirectStatement?, _ db: Database, sql: String) throws -> DirectStatement {
        if let slot { return slot }
        let made = try DirectStatement(db, sql: sql)
        slot = made
        return made
    }

    private static func error(_ code: Int32, _ db: Database) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
    }

    /// One argument, bound by its position in `execute` or `fetchInt`.
    enum Value {
        case int(Int64)
        case text(String?)
        /// UTF-8 bytes bound as text.
        case utf8([UInt8]?)

        static func int(_ value: Int) -> Value { .int(Int64(value)) }
    }

    private func bind(_ values: [Value]) {
        sqlite3_reset(handle)
        for (i, value) in values.enumerated() {
            let position = Int32(i + 1)
            switch value {
            case .int(let n): sqlite3_bind_int64(handle, position, n)
            case .text(nil), .utf8(nil): sqlite3_bind_null(handle, position)
            case .text(var text?): text.withUTF8 { bindText($0, at: position) }
            case .utf8(let bytes?): bytes.withUnsafeBufferPointer { bindText($0, at: position) }
            }
        }
    }

    private func bindText(_ bytes: UnsafeBufferPointer<UInt8>, at position: Int32) {
        if let start = bytes.baseAddress, !bytes.isEmpty {
            let chars = UnsafeRawPointer(start).assumingMemoryBound(to: CChar.self)
            sqlite3_bind_text(handle, position, chars, Int32(bytes.count), Self.transient)
        } else {
            // "" rather than a null pointer, which SQLite would store as NULL.
            sqlite3_bind_text(handle, position, "", 0, Self.transient)
        }
    }

    /// Runs a statement that returns no row, with these arguments.
    func execute(_ values: Value...) throws {
        bind(values)
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE else {
            sqlite3_reset(handle)
            throw Self.error(code, db)
        }
    }

    /// Runs a query with no arguments and calls `body` with the integer in the first column of each row.
    func forEachInt(_ body: (Int64) -> Void) throws {
        sqlite3_reset(handle)
        while true {
            let code = sqlite3_step(handle)
            guard code == SQLITE_ROW else {
                sqlite3_reset(handle)
                if code == SQLITE_DONE { return }
                throw Self.error(code, db)
            }
            body(sqlite3_column_int64(handle, 0))
        }
    }

    /// Starts a query with these arguments, for `nextPair`.
    func start(_ values: Value...) {
        bind(values)
    }

    /// The integers in the first two columns of the query's next row; nil after its last row.
    func nextPair() throws -> (Int64, Int64)? {
        let code = sqlite3_step(handle)
        if code == SQLITE_ROW { return (sqlite3_column_int64(handle, 0), sqlite3_column_int64(handle, 1)) }
        sqlite3_reset(handle)
        if code == SQLITE_DONE { return nil }
        throw Self.error(code, db)
    }

    /// Runs a query for one integer (0 when it returns no row), with these arguments.
    func fetchInt(_ values: Value...) throws -> Int64 {
        bind(values)
        let code = sqlite3_step(handle)
        switch code {
        case SQLITE_ROW:
            let value = sqlite3_column_int64(handle, 0)
            sqlite3_reset(handle)
            return value
        case SQLITE_DONE: return 0
        default:
            sqlite3_reset(handle)
            throw Self.error(code, db)
        }
    }
}
