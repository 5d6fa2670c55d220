import GRDB
import GRDBSQLite

// Written by hand for speed: the statements an import runs once per record (the identity check and
// the insert) are bound and stepped through SQLite's C API on GRDB's own connection. GRDB's
// `StatementArguments` boxes every value as a `DatabaseValue` in an array, which cost more than
// SQLite's own work on the row (measured with callgrind: bench/README.md).

/// One prepared statement on a GRDB connection, bound by position and stepped directly.
final class DirectStatement {
    private let db: Database
    private let handle: OpaquePointer
    private var position: Int32 = 0

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

    private static func error(_ code: Int32, _ db: Database) -> DatabaseError {
        DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
    }

    /// Starts binding a new row of arguments.
    func reset() {
        sqlite3_reset(handle)
        position = 0
    }

    func bind(_ value: Int64) {
        position += 1
        sqlite3_bind_int64(handle, position, value)
    }

    func bind(_ value: Int) { bind(Int64(value)) }

    func bind(_ text: String?) {
        position += 1
        guard var text else {
            sqlite3_bind_null(handle, position)
            return
        }
        text.withUTF8 { bytes in
            bindText(bytes.baseAddress.map { UnsafeRawPointer($0) }, count: bytes.count)
        }
    }

    /// Binds UTF-8 bytes as text.
    func bind(utf8 bytes: [UInt8]?) {
        position += 1
        guard let bytes else {
            sqlite3_bind_null(handle, position)
            return
        }
        bytes.withUnsafeBufferPointer { buffer in
            bindText(buffer.baseAddress.map { UnsafeRawPointer($0) }, count: buffer.count)
        }
    }

    private func bindText(_ start: UnsafeRawPointer?, count: Int) {
        if let start, count > 0 {
            sqlite3_bind_text(handle, position, start.assumingMemoryBound(to: CChar.self), Int32(count), Self.transient)
        } else {
            // "" rather than a null pointer, which SQLite would store as NULL.
            sqlite3_bind_text(handle, position, "", 0, Self.transient)
        }
    }

    /// Runs a statement that returns no row.
    func execute() throws {
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE else {
            sqlite3_reset(handle)
            throw Self.error(code, db)
        }
    }

    /// Runs a query for one integer (0 when it returns no row).
    func fetchInt() throws -> Int64 {
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
