// Written by hand for speed: without it, an import searches the store's identity index once per
// record, and that random search into an index of millions of rows was the largest single cost of
// storing (bench/README.md). A filter answers "not stored" for nearly every new record from memory.

/// A Bloom filter of identity hashes (see KeyHash): `mayContain` is false only for a hash that was
/// never inserted, and true for about 0.6% of the others at its capacity. Blocked: each hash sets
/// five bits of one block of four 64-bit words (256 bits), so a lookup reads within one block; 12
/// bits a hash (15 MB for 10 million).
///
/// Each false positive searches every identity run in the store, and at ten million rows reads a
/// page of the file for most. Until the thirty-first round (bench/README.md) a hash set three bits
/// of one word, 8 bits a hash: about 3.8% at capacity. Five bits of a block of 256 made it 2.5%,
/// and 12 bits a hash rather than 8, from the thirty-second round, 0.6% (simulated): at ten million
/// the searches for false positives had been a sixth of the storing thread's time, and the filter
/// is the one structure of an import that grows with the file, so its bits are where memory buys
/// the most time.
struct IdentityFilter {
    /// The blocks, after `offset` words.
    private var words: [UInt64]
    /// The words before the first block, which bring it to a multiple of 32 bytes in the array's
    /// storage as made, so that no block spans two cache lines (for speed: at 10M hashes the filter
    /// is far larger than the processor's caches, and a block across two lines made about one
    /// lookup in two wait for two reads). Kept as a count of words, not worked out from each
    /// address: a copy (on write) keeps the words at their indices, so it stays right, only not
    /// aligned.
    private let offset: Int
    /// Hashes inserted.
    private(set) var count = 0
    /// Hashes it holds at the false-positive rate above; past it, the rate grows.
    let capacity: Int
    private let blocks: UInt64
    private static let wordsPerBlock = 4
    private static let bitsSet = 5

    init(capacity: Int) {
        self.capacity = max(capacity, 1024)
        // 12 bits a hash: 3 blocks of 256 bits hold 64.
        blocks = UInt64((self.capacity * 3 + 63) / 64)
        let words = [UInt64](repeating: 0, count: Int(blocks) * Self.wordsPerBlock + Self.wordsPerBlock - 1)
        offset = words.withUnsafeBufferPointer { ((0 &- Int(bitPattern: $0.baseAddress)) & 31) &>> 3 }
        self.words = words
    }

    /// Calls `body` with the blocks.
    @inline(__always)
    private func aligned<T>(_ body: (UnsafePointer<UInt64>) -> T) -> T {
        words.withUnsafeBufferPointer { body($0.baseAddress.unsafelyUnwrapped + offset) }
    }

    @inline(__always)
    private mutating func alignedMutable(_ body: (UnsafeMutablePointer<UInt64>) -> Void) {
        let offset = offset
        words.withUnsafeMutableBufferPointer { body($0.baseAddress.unsafelyUnwrapped + offset) }
    }

    /// The first word of a hash's block, from its high bits (by multiplication rather than
    /// modulo); its bits come from its low bits, 8 each (word, then bit). KeyHash's final mix
    /// spreads every input bit over both.
    @inline(__always)
    private func block(_ hash: Int64) -> Int {
        Int(truncatingIfNeeded: UInt64(bitPattern: hash).multipliedFullWidth(by: blocks).high) &* Self.wordsPerBlock
    }

    /// The word within the block and the mask of the `i`th bit a hash sets.
    @inline(__always)
    private static func bit(_ hash: Int64, _ i: Int) -> (word: Int, mask: UInt64) {
        let position = (UInt64(bitPattern: hash) &>> UInt64(8 &* i)) & 0xFF
        return (Int(truncatingIfNeeded: position &>> 6), (1 as UInt64) &<< (position & 63))
    }

    mutating func insert(_ hash: Int64) {
        let first = block(hash)
        alignedMutable { words in
            for i in 0..<Self.bitsSet {
                let (word, mask) = Self.bit(hash, i)
                words[first &+ word] |= mask
            }
        }
        count += 1
    }

    /// Reads the first word of each hash's block, which brings in its cache line and so the whole
    /// block (see `offset`), and returns them or'ed (a value the caller keeps, so that the reads
    /// are made): see `SQLiteWriter.warm`.
    func touch(_ hashes: some Sequence<Int64>) -> UInt64 {
        aligned { words in
            var all: UInt64 = 0
            for hash in hashes { all |= words[block(hash)] }
            return all
        }
    }

    func mayContain(_ hash: Int64) -> Bool {
        let first = block(hash)
        return aligned { words in
            // Most hashes never inserted miss on the first bit or two.
            for i in 0..<Self.bitsSet {
                let (word, mask) = Self.bit(hash, i)
                if words[first &+ word] & mask == 0 { return false }
            }
            return true
        }
    }
}
