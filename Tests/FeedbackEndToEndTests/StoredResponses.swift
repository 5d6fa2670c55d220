import FeedbackKit
import Foundation
import GRDB

/// The responses a store holds, read through the store itself (they are kept in blocks, store
/// format v6, which SQL alone cannot look into), in the order they were stored.
enum StoredResponses {
    static func all(in path: String) throws -> [Response] {
        // A store whose first migration never committed (a command killed while creating it) has no
        // tables; opening it here would make them.
        let made = try DatabaseQueue(path: path).read { db in try db.tableExists("response_block") }
        guard made else { return [] }
        var responses: [Response] = []
        try SQLiteStore(path: path).read { reader in
            try reader.forEach(ResponseFilter(), limit: nil) { responses.append($0.response) }
        }
        return responses
    }
}
