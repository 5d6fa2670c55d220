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
    /// The texts bound for one run of the statement, side by side; SQLite reads them here rather
    /// than copying each into memory of its own (for speed: those copies were a tenth of the storing
    /// thread's time in an import). Kept between runs, and grown when a row needs more.
    private var texts: UnsafeMutablePointer<UInt8>
    private var textsCapacity = 1024

    /// SQLite copies bound text and blobs at once (the buffers are only borrowed while binding).
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(_ db: Database, sql: String) throws {
        self.db = db
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v3(db.sqliteConnection, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard code == SQLITE_OK, let statement else { throw Self.error(code, db) }
        handle = statement
        texts = .allocate(capacity: textsCapacity)
    }

    deinit {
        sqlite3_finalize(handle)
        texts.deallocate()
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
        /// Bytes bound as a blob.
        case blob([UInt8])

        static func int(_ value: Int) -> Value { .int(Int64(value)) }
    }

    /// Binds the values by position. The texts are copied into `texts` and bound where they lie
    /// there (SQLITE_STATIC), which stays valid until the next `bind`: each run binds every
    /// parameter anew before it steps, so that SQLite never reads texts of an earlier run.
    private func bind(_ values: [Value]) {
        bind(values[...])
    }

    private func bind(_ values: ArraySlice<Value>) {
        sqlite3_reset(handle)
        var needed = 0
        for value in values {
            switch value {
            case .text(let text?): needed += text.utf8.count
            case .utf8(let bytes?), .blob(let bytes): needed += bytes.count
            default: break
            }
        }
        if needed > textsCapacity {
            texts.deallocate()
            textsCapacity = max(needed, 2 * textsCapacity)
            texts = .allocate(capacity: textsCapacity)
        }
        var offset = 0
        for (i, value) in values.enumerated() {
            let position = Int32(i + 1)
            switch value {
            case .int(let n): sqlite3_bind_int64(handle, position, n)
            case .text(nil), .utf8(nil): sqlite3_bind_null(handle, position)
            case .text(let text?): text.withUTF8Bytes { bindText($0, at: position, offset: &offset) }
            case .utf8(let bytes?): bytes.withUnsafeBufferPointer { bindText($0, at: position, offset: &offset) }
            case .blob(let bytes):
                bytes.withUnsafeBufferPointer { bytes in
                    let copy = texts + offset
                    if let start = bytes.baseAddress { copy.update(from: start, count: bytes.count) }
                    offset += bytes.count
                    // A zero-length blob rather than NULL, also when empty; SQLITE_STATIC as for texts.
                    sqlite3_bind_blob(handle, position, copy, Int32(bytes.count), nil)
                }
            }
        }
    }

    private func bindText(_ bytes: UnsafeBufferPointer<UInt8>, at position: Int32, offset: inout Int) {
        guard let start = bytes.baseAddress, !bytes.isEmpty else {
            // "" rather than a null pointer, which SQLite would store as NULL.
            sqlite3_bind_text(handle, position, "", 0, Self.transient)
            return
        }
        let copy = texts + offset
        copy.update(from: start, count: bytes.count)
        offset += bytes.count
        // nil: SQLITE_STATIC, SQLite reads the text where it is.
        sqlite3_bind_text(handle, position, UnsafeRawPointer(copy).assumingMemoryBound(to: CChar.self), Int32(bytes.count), nil)
    }

    /// Runs a statement that returns no row, with these arguments. A blob that comes last (a
    /// block's bytes) is bound where its array holds them while the statement runs, and not copied
    /// (for speed: the copies of the blocks were a fortieth of the storing thread's work; callgrind).
    func execute(_ values: Value...) throws {
        guard case .blob(let bytes) = values.last else {
            bind(values)
            try step()
            return
        }
        let position = Int32(values.count)
        try bytes.withUnsafeBufferPointer { blob in
            bind(values.dropLast())
            // SQLITE_STATIC; a zero-length blob rather than NULL, also when empty.
            sqlite3_bind_blob(handle, position, blob.baseAddress ?? UnsafePointer(texts), Int32(blob.count), nil)
            // Unbound again once run (after a reset, without which SQLite refuses to bind): SQLite
            // never keeps the array's place past this scope.
            defer {
                sqlite3_reset(handle)
                sqlite3_bind_null(handle, position)
            }
            try step()
        }
    }

    private func step() throws {
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE else {
            sqlite3_reset(handle)
            throw Self.error(code, db)
        }
    }

    /// Runs a query with these arguments and calls `body` with each row's columns.
    func forEachRow(_ values: Value..., body: (Columns) throws -> Void) throws {
        try forEachRow(values, body: body)
    }

    /// The same with the arguments in an array.
    func forEachRow(_ values: [Value], body: (Columns) throws -> Void) throws {
        try forRows(values) { columns in
            try body(columns)
            return true
        }
    }

    /// The columns of the row a query is on; valid only inside `forEachRow`'s body.
    struct Columns {
        fileprivate let handle: OpaquePointer

        func int(_ column: Int32) -> Int64 {
            sqlite3_column_int64(handle, column)
        }

        /// The column's text; "" for NULL.
        func text(_ column: Int32) -> String {
            guard let start = sqlite3_column_text(handle, column) else { return "" }
            return String(decoding: UnsafeBufferPointer(start: start, count: Int(sqlite3_column_bytes(handle, column))), as: UTF8.self)
        }

        /// Calls `body` with the column's bytes where SQLite holds them (empty for NULL).
        func withBlob<T>(_ column: Int32, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
            let start = sqlite3_column_blob(handle, column)
            return try body(UnsafeRawBufferPointer(start: start, count: start == nil ? 0 : Int(sqlite3_column_bytes(handle, column))))
        }

        /// The column's bytes; empty for NULL.
        func blob(_ column: Int32) -> [UInt8] {
            guard let start = sqlite3_column_blob(handle, column) else { return [] }
            return Array(UnsafeRawBufferPointer(start: start, count: Int(sqlite3_column_bytes(handle, column))))
        }
    }

    /// Runs a query with these arguments and calls `body` with each row's columns while it returns
    /// true: the rows after are never stepped to (a search that knows where to stop reads no more).
    func forRows(_ values: Value..., while body: (Columns) throws -> Bool) throws {
        try forRows(values, while: body)
    }

    /// The same with the arguments in an array.
    func forRows(_ values: [Value], while body: (Columns) throws -> Bool) throws {
        bind(values)
        defer { sqlite3_reset(handle) }
        while true {
            let code = sqlite3_step(handle)
            guard code == SQLITE_ROW else {
                if code == SQLITE_DONE { return }
                throw Self.error(code, db)
            }
            if try !body(Columns(handle: handle)) { return }
        }
    }

    /// Starts a query with these arguments, for `nextRow`.
    func start(_ values: Value...) {
        bind(values)
    }

    /// Steps the query started by `start` to its next row and returns what `body` makes of its
    /// columns; nil after its last row, when the statement is reset.
    func nextRow<T>(_ body: (Columns) throws -> T) throws -> T? {
        let code = sqlite3_step(handle)
        if code == SQLITE_ROW { return try body(Columns(handle: handle)) }
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
