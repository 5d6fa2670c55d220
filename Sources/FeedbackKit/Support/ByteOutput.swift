import Foundation

/// Where the block encoders write bytes: an array, or `ScratchBytes`.
protocol ByteOutput {
    mutating func append(_ byte: UInt8)
    mutating func append(contentsOf bytes: UnsafeBufferPointer<UInt8>)
}

extension [UInt8]: ByteOutput {}

/// A growable byte buffer written through a pointer and reused from record to record.
///
/// Written by hand for speed: an import encodes about twenty small pieces a response, and
/// `Array.append` checks that the array is not shared and has room for each byte; that was a
/// twentieth of the reading thread's instructions (callgrind, bench/README.md). Here the room is
/// checked once a piece, and the bytes are copied into an array once a response.
final class ScratchBytes: ByteOutput {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int = 1024) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// Empties the buffer, keeping its room.
    func removeAll() { count = 0 }

    @inline(__always)
    private func reserve(_ more: Int) {
        if count + more > capacity { grow(to: count + more) }
    }

    @inline(never)
    private func grow(to needed: Int) {
        var newCapacity = capacity * 2
        while newCapacity < needed { newCapacity *= 2 }
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        grown.update(from: base, count: count)
        base.deallocate()
        base = grown
        capacity = newCapacity
    }

    @inline(__always)
    func append(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    @inline(__always)
    func append(contentsOf bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        let n = bytes.count
        reserve(n)
        Self.copy(UnsafeRawPointer(source), to: UnsafeMutableRawPointer(base + count), count: n)
        count += n
    }

    /// Copies `n` bytes (more than none), as memmove does. Up to 16 bytes, in two words that may
    /// overlap each other, both read before either is written (for speed: most pieces are an
    /// answer of a few bytes, and each call of memmove for one was about 30 instructions;
    /// callgrind, twenty-seventh round in bench/README.md).
    @inline(__always)
    static func copy(_ from: UnsafeRawPointer, to: UnsafeMutableRawPointer, count n: Int) {
        if n >= 8 && n <= 16 {
            let head = from.loadUnaligned(as: UInt64.self)
            let tail = from.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
            to.storeBytes(of: head, as: UInt64.self)
            to.storeBytes(of: tail, toByteOffset: n &- 8, as: UInt64.self)
        } else if n >= 4 && n < 8 {
            let head = from.loadUnaligned(as: UInt32.self)
            let tail = from.loadUnaligned(fromByteOffset: n &- 4, as: UInt32.self)
            to.storeBytes(of: head, as: UInt32.self)
            to.storeBytes(of: tail, toByteOffset: n &- 4, as: UInt32.self)
        } else if n < 4 {
            to.storeBytes(of: from.load(as: UInt8.self), as: UInt8.self)
            if n > 1 {
                to.storeBytes(of: from.load(fromByteOffset: n &- 1, as: UInt8.self), toByteOffset: n &- 1, as: UInt8.self)
                if n > 2 { to.storeBytes(of: from.load(fromByteOffset: 1, as: UInt8.self), toByteOffset: 1, as: UInt8.self) }
            }
        } else {
            memmove(to, from, n)
        }
    }

    /// The byte at `offset` (below `count`), to change one written before.
    subscript(offset: Int) -> UInt8 {
        get {
            precondition(offset >= 0 && offset < count)
            return base[offset]
        }
        set {
            precondition(offset >= 0 && offset < count)
            base[offset] = newValue
        }
    }

    /// Moves the bytes from `offset` on along by `shift`, leaving room that the caller fills.
    func open(at offset: Int, by shift: Int) {
        precondition(offset >= 0 && offset <= count && shift >= 0)
        reserve(shift)
        memmove(base + offset + shift, base + offset, count - offset)
        count += shift
    }

    /// The bytes written so far, where they lie: valid until the next write.
    var written: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }

    /// The bytes written so far, as an array.
    var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }
}

/// Writes into a `ScratchBytes` that its owner keeps alive, without retaining it (for speed: the
/// lean path of an import writes a dozen pieces a record, and a local reference to write through,
/// or a `var` property, was retained and released for each; see LeanRecord.swift).
struct UnretainedScratch: ByteOutput {
    private let target: Unmanaged<ScratchBytes>

    @inline(__always)
    init(_ target: ScratchBytes) {
        self.target = Unmanaged.passUnretained(target)
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) { target._withUnsafeGuaranteedRef { $0.append(byte) } }

    @inline(__always)
    mutating func append(contentsOf bytes: UnsafeBufferPointer<UInt8>) {
        target._withUnsafeGuaranteedRef { $0.append(contentsOf: bytes) }
    }
}
