import Foundation

// Written by hand for speed: an import reads and maps records on one thread while the store
// inserts on the thread that holds its transaction, so that both cores work. Records travel in
// batches, so the two threads meet once per few hundred records rather than once per record,
// and at most `capacity` batches, of at most `byteLimit` bytes in all, wait, so memory stays flat
// however large the file and however wide its records. The consumer
// hands each batch back when done with it, and the producer frees it: memory freed on another
// thread than the one that allocated it costs both a lock in the allocator, which the two threads
// contended for on every record (bench/README.md).

/// A bounded queue of batches from one producer thread to one consumer thread.
final class BatchChannel<Batch>: @unchecked Sendable {
    private let condition = NSCondition()
    /// The batches waiting, with the bytes each was said to take.
    private var batches: [(batch: Batch, bytes: Int)] = []
    private var waitingBytes = 0
    private var finished = false
    private var failure: (any Error)?
    private var cancelled = false
    private let capacity: Int
    private let byteLimit: Int
    /// Batches the consumer is done with, for the producer to free.
    private var returned: [Batch] = []

    init(capacity: Int = 4, byteLimit: Int = .max) {
        self.capacity = capacity
        self.byteLimit = byteLimit
    }

    /// Whether a batch of `bytes` bytes may join those waiting: one always may when none waits, so
    /// that a batch larger than the limit still goes through, alone.
    private func hasRoom(for bytes: Int) -> Bool {
        batches.isEmpty || (batches.count < capacity && waitingBytes + bytes <= byteLimit)
    }

    /// Waits for room and queues a batch that takes about `bytes` bytes of memory; false when the
    /// consumer has stopped (the producer stops too).
    func put(_ batch: Batch, bytes: Int = 0) -> Bool {
        condition.lock()
        while !hasRoom(for: bytes) && !cancelled { condition.wait() }
        if cancelled {
            condition.unlock()
            return false
        }
        batches.append((batch, bytes))
        waitingBytes += bytes
        condition.broadcast()
        var done: [Batch] = []
        swap(&done, &returned)
        condition.unlock()
        // The batches handed back are freed here, on this thread, outside the lock.
        done.removeAll()
        return true
    }

    /// How many batches wait for the consumer: more than one or two, and it is the slower of the two.
    var waiting: Int {
        condition.lock()
        defer { condition.unlock() }
        return batches.count
    }

    /// The consumer hands back a batch it has finished with, so that the producer frees it.
    func giveBack(_ batch: consuming Batch) {
        condition.lock()
        if !cancelled && !finished { returned.append(batch) }
        condition.unlock()
    }

    /// Ends the stream, with the error that ended it early, if any.
    func finish(_ error: (any Error)?) {
        condition.lock()
        finished = true
        failure = error
        condition.broadcast()
        condition.unlock()
    }

    /// The next batch; nil at the end of the stream. Throws the producer's error after the
    /// batches queued before it.
    func take() throws -> Batch? {
        condition.lock()
        defer { condition.unlock() }
        while batches.isEmpty && !finished { condition.wait() }
        if !batches.isEmpty {
            let (batch, bytes) = batches.removeFirst()
            waitingBytes -= bytes
            condition.broadcast()
            return batch
        }
        if let failure { throw failure }
        return nil
    }

    /// The consumer gives up: the producer's next `put` returns false.
    func cancel() {
        condition.lock()
        cancelled = true
        batches.removeAll()
        waitingBytes = 0
        condition.broadcast()
        condition.unlock()
    }
}

/// Runs `body` on a thread of its own, with a stack as large as the main thread's (the JSON
/// parser recurses), and returns a way to wait for it.
func runOnThread(_ body: @escaping () -> Void) -> () -> Void {
    final class Box: @unchecked Sendable {
        let body: () -> Void
        let done = DispatchSemaphore(value: 0)
        init(_ body: @escaping () -> Void) { self.body = body }
    }
    let box = Box(body)
    let thread = Thread {
        box.body()
        box.done.signal()
    }
    thread.stackSize = 8 << 20
    thread.start()
    return { box.done.wait() }
}

/// A batch of responses from the reading thread of an import to the storing thread: each one
/// encoded on its own, or by the lean path into the batch's bytes (see LeanRecord.swift).
///
/// The two kinds are kept in arrays of their own, and `order` says which comes next, so that the
/// storing thread reads each where it lies (for speed: an enum of the two was copied out of the
/// array to be read, counting references to the texts of each, which the reading thread made and
/// frees; the two cores passed those counts back and forth).
struct ResponseBatch {
    enum Kind {
        case encoded
        case lean
    }

    /// The kind of each response, in the order read.
    var order: [Kind] = []
    var encoded: [EncodedResponse] = []
    var lean: [LeanResponse] = []
    /// The records of the lean responses, one after the other.
    var bytes: [UInt8] = []

    var count: Int { order.count }

    /// About how much memory the batch holds, for the channel's bound: its arrays' room, and for a
    /// response encoded on its own, its record twice over and a little more (the objects around it).
    var memoryBytes: Int {
        var total = order.capacity + bytes.capacity + lean.capacity * MemoryLayout<LeanResponse>.stride
        for response in encoded { total += 2 * response.record.count + 512 }
        return total
    }

    mutating func append(_ response: EncodedResponse) {
        order.append(.encoded)
        encoded.append(response)
    }

    mutating func append(_ response: LeanResponse) {
        order.append(.lean)
        lean.append(response)
    }

    /// Room for `capacity` responses, lean ones among them, and `bytes` bytes of their records (for
    /// speed: grown from empty, a batch's arrays were copied a dozen times on their way to full).
    init(capacity: Int, lean: Bool = false, bytes: Int = 0) {
        order.reserveCapacity(capacity)
        if lean { self.lean.reserveCapacity(capacity) }
        self.bytes.reserveCapacity(bytes)
    }
}
