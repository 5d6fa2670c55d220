// Written by hand for speed: without it, an import searches the store's identity index once per
// record, and that random search into an index of millions of rows was the largest single cost of
// storing (bench/README.md). A filter answers "not stored" for nearly every new record from memory.

/// A Bloom filter of identity hashes (see KeyHash): `mayContain` is false only for a hash that was
/// never inserted, and true for about 3–5% of the others at its capacity. Blocked: each hash sets
/// three bits of one 64-bit word, so a lookup reads one word; 8 bits a hash (10 MB for 10 million).
struct IdentityFilter {
    private var words: [UInt64]
    /// Hashes inserted.
    private(set) var count = 0
    /// Hashes it holds at the false-positive rate above; past it, the rate grows.
    let capacity: Int

    init(capacity: Int) {
        self.capacity = max(capacity, 1024)
        words = Array(repeating: 0, count: self.capacity / 8)
    }

    /// The word a hash falls in (from its high bits, by multiplication rather than modulo) and its
    /// three bits (from its low bits). KeyHash's final mix spreads every input bit over both.
    private func place(_ hash: Int64) -> (word: Int, mask: UInt64) {
        let h = UInt64(bitPattern: hash)
        let word = Int(h.multipliedFullWidth(by: UInt64(words.count)).high)
        let mask = (1 as UInt64) << (h & 63) | (1 as UInt64) << ((h >> 6) & 63) | (1 as UInt64) << ((h >> 12) & 63)
        return (word, mask)
    }

    mutating func insert(_ hash: Int64) {
        let (word, mask) = place(hash)
        words[word] |= mask
        count += 1
    }

    /// Reads the word of each hash, and returns them or'ed (a value the caller keeps, so that the
    /// reads are made): see `SQLiteWriter.warm`.
    func touch(_ hashes: some Sequence<Int64>) -> UInt64 {
        words.withUnsafeBufferPointer { words in
            var all: UInt64 = 0
            for hash in hashes { all |= words[place(hash).word] }
            return all
        }
    }

    func mayContain(_ hash: Int64) -> Bool {
        let (word, mask) = place(hash)
        return words[word] & mask == mask
    }
}
