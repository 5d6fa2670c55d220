/// A 128-bit FNV-1a hash, the identity of a record whose export carries no response id.
///
/// FNV-1a is written here because it is a dozen lines, stable across runs and platforms (Swift's
/// `Hasher` is seeded per process), and 128 bits make an accidental collision negligible.
struct ContentHash {
    private static let prime: UInt128 = (1 << 88) + (1 << 8) + 0x3b
    private var state: UInt128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d

    mutating func add(_ text: String) {
        for byte in text.utf8 {
            state ^= UInt128(byte)
            state &*= Self.prime
        }
        // A separator byte that UTF-8 text never holds keeps ("ab","c") apart from ("a","bc").
        state ^= 0xFF
        state &*= Self.prime
    }

    var hex: String {
        let s = String(state, radix: 16)
        return String(repeating: "0", count: 32 - s.count) + s
    }
}
