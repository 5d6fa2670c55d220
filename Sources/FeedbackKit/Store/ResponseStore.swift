import Foundation

/// A store of responses. SQLite is the one built in; the protocol is the seam for others
/// (PostgreSQL for offices that write into one store from several places).
public protocol ResponseStore: Sendable {
    /// Runs `body` in one transaction: everything it wrote is kept, or nothing if it throws.
    func write<T>(_ body: (any ResponseWriter) throws -> T) throws -> T
    /// Runs `body` against a consistent snapshot of the store.
    func read<T>(_ body: (any ResponseReader) throws -> T) throws -> T
}

/// Queries that see one consistent state of the store.
public protocol ResponseReader {
    /// Whether a response with this identity is stored for the form.
    func contains(formId: String, key: String) throws -> Bool
    func count(_ filter: ResponseFilter) throws -> Int
    /// Visits responses in import order (form, then position of import).
    func forEach(_ filter: ResponseFilter, limit: Int?, _ body: (StoredResponse) throws -> Void) throws
    /// The months that hold responses of a form, oldest first, with their counts.
    func months(formId: String?) throws -> [(month: String, count: Int)]
}

/// Writes inside one transaction of the store.
public protocol ResponseWriter: ResponseReader {
    /// Records the start of an import and returns its id.
    func beginImport(formId: String, source: String, startedAt: String) throws -> Int64
    /// Stores a response unless one with the same identity exists; returns whether it was stored.
    func insert(_ response: Response, importId: Int64) throws -> Bool
    /// Records the outcome of an import.
    func finishImport(_ id: Int64, read: Int, accepted: Int, duplicates: Int, rejected: Int) throws
}

/// A problem with the store: which store, what went wrong, what to do.
public struct StoreError: LocalizedError, Sendable, Equatable {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var errorDescription: String? { message }
}
