import Foundation

/// A string as a dictionary key compared and hashed by its UTF-8 bytes.
///
/// For speed: `String` hashes text other than ASCII through Unicode normalization, which made
/// hashing Chinese choice values and comments a tenth of an import's instructions (callgrind,
/// bench/README.md). Byte equality is stricter than `String`'s canonical equivalence, so a cache
/// keyed by it can only miss where a `String` key would hit, never give another entry's value.
struct UTF8Key: Hashable {
    let text: String

    init(_ text: String) {
        self.text = text
    }

    func hash(into hasher: inout Hasher) {
        // Through the string's own buffer (see `withUTF8Bytes`).
        text.withUTF8Bytes { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }

    static func == (lhs: UTF8Key, rhs: UTF8Key) -> Bool {
        // Through the strings' own buffers (for speed: `utf8.elementsEqual` went byte by byte).
        lhs.text.withUTF8Bytes { x in
            rhs.text.withUTF8Bytes { y in
                guard x.count == y.count else { return false }
                guard let p = x.baseAddress, let q = y.baseAddress else { return true }  // both empty
                return memcmp(p, q, x.count) == 0
            }
        }
    }
}

extension String {
    /// Calls `body` with the string's UTF-8 bytes where they lie, as `withUTF8` does, without
    /// making the string mutable (for speed: `var copy = text; copy.withUTF8 …` retained and released
    /// the string's buffer each time, an atomic operation that cost more than reading a short text).
    /// A string that is not native (bridged, on Apple platforms) is copied first.
    @inline(__always)
    func withUTF8Bytes<T>(_ body: (UnsafeBufferPointer<UInt8>) throws -> T) rethrows -> T {
        if let done = try utf8.withContiguousStorageIfAvailable(body) { return done }
        var copy = self
        return try copy.withUTF8(body)
    }
}
