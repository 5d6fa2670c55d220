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
        var text = text
        text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }

    static func == (lhs: UTF8Key, rhs: UTF8Key) -> Bool {
        // Through the strings' own buffers (for speed: `utf8.elementsEqual` went byte by byte).
        var a = lhs.text
        var b = rhs.text
        return a.withUTF8 { x in
            b.withUTF8 { y in
                guard x.count == y.count else { return false }
                guard let p = x.baseAddress, let q = y.baseAddress else { return true }  // both empty
                return memcmp(p, q, x.count) == 0
            }
        }
    }
}
