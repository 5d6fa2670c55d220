import Foundation

/// A bounded table from byte strings to values, looked up with the bytes where they lie.
///
/// Written by hand for speed: a Dictionary is looked up with a key value, so reading a CSV cell's
/// remembered answer meant making a String of the cell first (bench/README.md, tenth round).
/// Open addressing over a power-of-two table; the hash is seeded per table, so that a file cannot
/// be written to make every cell collide.
struct ByteMemo<Value> {
    /// Entry index + 1 per bucket; 0 is an empty bucket.
    private var buckets: [Int32]
    private var hashes: [UInt64] = []
    /// Where each entry's key ends in `keys`; it starts where the one before ends.
    private var ends: [Int] = []
    private var keys: [UInt8] = []
    private var values: [Value] = []
    /// The most entries, and the most key bytes, kept; past either, the table starts again.
    let limit: Int
    let keyBytesLimit: Int
    private let seed: UInt64

    /// Keys longer than this are never kept (a long text is seldom met twice).
    static var longestKey: Int { 1024 }

    init(limit: Int, keyBytesLimit: Int = 1 << 20) {
        self.limit = max(limit, 1)
        self.keyBytesLimit = keyBytesLimit
        var size = 16
        while size < 2 * self.limit { size <<= 1 }
        buckets = Array(repeating: 0, count: size)
        seed = UInt64.random(in: .min ... .max) | 1
    }

    /// A fixed table of `entries` (a key longer than `longestKey` is left out), with room for all
    /// of them, so that it never starts again: texts looked up by their bytes, such as a form's ids.
    init(keeping entries: some Collection<(key: String, value: Value)>) {
        self.init(limit: entries.count + 1, keyBytesLimit: entries.reduce(1) { $0 + $1.key.utf8.count })
        for (key, value) in entries {
            key.withUTF8Bytes { insert(value, for: UnsafeRawBufferPointer($0)) }
        }
    }

    /// A fixed table, as `init(keeping:)`, of the first of the entries whose keys are equal as
    /// texts: a String lookup (a dictionary by text, or a search by `==`) finds that one for all of
    /// them, and this table finds it only by its own bytes, so a key written with other bytes is
    /// not found here, and the caller's String lookup finds what it always found.
    init(keepingFirstOf entries: some Collection<(key: String, value: Value)>) {
        var seen = Set<String>()
        self.init(keeping: entries.filter { seen.insert($0.key).inserted })
    }

    var count: Int { values.count }

    /// Whether keeping one more key of `keyCount` bytes would start the table again.
    func isFull(adding keyCount: Int) -> Bool {
        values.count >= limit || keys.count + keyCount > keyBytesLimit
    }

    /// The value kept for `key`, if any.
    func value(for key: UnsafeRawBufferPointer) -> Value? {
        switch find(key, hash: Self.hash(key, seed: seed)) {
        case .found(let entry): values[entry]
        case .empty: nil
        }
    }

    /// Where a key's probe ends: at its entry, or at the empty bucket where it would go.
    private enum Probe {
        case found(Int)
        case empty(Int)
    }

    @inline(__always)
    private func find(_ key: UnsafeRawBufferPointer, hash: UInt64) -> Probe {
        let mask = buckets.count - 1
        var bucket = Int(truncatingIfNeeded: hash) & mask
        while true {
            let slot = Int(buckets[bucket])
            if slot == 0 { return .empty(bucket) }
            if hashes[slot - 1] == hash && matches(slot - 1, key) { return .found(slot - 1) }
            bucket = (bucket + 1) & mask
        }
    }

    /// Keeps a new entry in the empty bucket `bucket`.
    @inline(__always)
    private mutating func add(_ value: Value, for key: UnsafeRawBufferPointer, hash: UInt64, at bucket: Int) {
        values.append(value)
        hashes.append(hash)
        keys.append(contentsOf: key)
        ends.append(keys.count)
        buckets[bucket] = Int32(values.count)
    }

    /// The value kept for the UTF-8 bytes of `text`, if any.
    func value(for text: String) -> Value? {
        text.withUTF8Bytes { value(for: UnsafeRawBufferPointer($0)) }
    }

    /// Keeps `value` for `key` (not already kept), unless the key is too long to keep.
    mutating func insert(_ value: Value, for key: UnsafeRawBufferPointer) {
        guard key.count <= Self.longestKey else { return }
        if isFull(adding: key.count) { removeAll() }
        let hash = Self.hash(key, seed: seed)
        let mask = buckets.count - 1
        var bucket = Int(truncatingIfNeeded: hash) & mask
        while buckets[bucket] != 0 { bucket = (bucket + 1) & mask }
        add(value, for: key, hash: hash, at: bucket)
    }

    /// Keeps `value` for `key` unless a value is kept for it already, hashing the key once (a set
    /// of byte strings, in effect); true where none was. A key too long to keep is never kept, so
    /// it is new each time.
    mutating func insertIfNew(_ value: Value, for key: UnsafeRawBufferPointer) -> Bool {
        let hash = Self.hash(key, seed: seed)
        guard case .empty(var bucket) = find(key, hash: hash) else { return false }
        guard key.count <= Self.longestKey else { return true }
        if isFull(adding: key.count) {
            removeAll()
            bucket = Int(truncatingIfNeeded: hash) & (buckets.count - 1)
        }
        add(value, for: key, hash: hash, at: bucket)
        return true
    }

    mutating func removeAll() {
        for i in buckets.indices { buckets[i] = 0 }
        hashes.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        keys.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
    }

    private func matches(_ entry: Int, _ key: UnsafeRawBufferPointer) -> Bool {
        let start = entry == 0 ? 0 : ends[entry - 1]
        guard ends[entry] - start == key.count else { return false }
        guard key.count > 0, let wanted = key.baseAddress else { return true }  // both empty
        return keys.withUnsafeBytes { stored in
            guard let base = stored.baseAddress else { return false }
            return memcmp(base + start, wanted, key.count) == 0
        }
    }

    /// Eight bytes at a time, each word mixed in by multiplication; the final mix spreads every
    /// bit over the low bits that pick the bucket.
    @inline(__always)
    static func hash(_ key: UnsafeRawBufferPointer, seed: UInt64) -> UInt64 {
        var h = seed ^ (UInt64(key.count) &* 0x9E37_79B9_7F4A_7C15)
        var i = 0
        let n = key.count
        while i + 8 <= n {
            let word = key.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            h = (h ^ word) &* 0xBF58_476D_1CE4_E5B9
            h ^= h >> 31
            i += 8
        }
        if i < n {
            var word: UInt64 = 0
            var shift: UInt64 = 0
            while i < n {
                word |= UInt64(key[i]) << shift
                shift += 8
                i += 1
            }
            h = (h ^ word) &* 0xBF58_476D_1CE4_E5B9
        }
        h ^= h >> 29
        h = h &* 0x94D0_49BB_1331_11EB
        return h ^ (h >> 32)
    }
}

/// A memo of Sendable values is Sendable: it holds arrays of values and plain numbers only.
extension ByteMemo: Sendable where Value: Sendable {}
