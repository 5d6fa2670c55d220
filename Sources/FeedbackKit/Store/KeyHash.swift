/// The 64-bit identity hash of a response: its form id and key, FNV-1a with a final mix.
///
/// The store indexes this integer instead of the (form, key) texts: an index of 8-byte integers
/// stays small enough to live in the page cache of a store of millions of responses, where an index
/// of random text ids does not (QUALITY.md: that index made inserts 3.7× slower and super-linear).
/// Two keys may share a hash; the store compares the texts of the rows that carry it. Written here
/// because it must be stable across runs and platforms (Swift's `Hasher` is seeded per process).
enum KeyHash {
    static func of(formId: String, key: String) -> Int64 {
        // Over the texts' contiguous bytes (for speed: stepping through `utf8` cost ten times more).
        key.withUTF8Bytes { of(Seed(formId: formId), key: $0) }
    }

    /// The hash's state after a form's id, for hashing many keys of that form.
    struct Seed {
        fileprivate let state: UInt64

        init(formId: String) {
            var state: UInt64 = 0xcbf2_9ce4_8422_2325
            formId.withUTF8Bytes { state = KeyHash.fold($0, into: state) }
            // A byte that UTF-8 never holds keeps ("ab","c") apart from ("a","bc").
            self.state = (state ^ 0xFF) &* KeyHash.prime
        }
    }

    /// `of(formId:key:)` of the key's UTF-8 bytes, after the form's id.
    static func of(_ seed: Seed, key: UnsafeBufferPointer<UInt8>) -> Int64 {
        var state = fold(key, into: seed.state)
        // SplitMix64's finalizer spreads FNV's weak low bits over the whole word.
        state ^= state >> 30
        state &*= 0xbf58_476d_1ce4_e5b9
        state ^= state >> 27
        state &*= 0x94d0_49bb_1331_11eb
        state ^= state >> 31
        return Int64(bitPattern: state)
    }

    private static let prime: UInt64 = 0x100_0000_01b3

    @inline(__always)
    private static func fold(_ bytes: UnsafeBufferPointer<UInt8>, into state: UInt64) -> UInt64 {
        var state = state
        for byte in bytes {
            state = (state ^ UInt64(byte)) &* prime
        }
        return state
    }
}
