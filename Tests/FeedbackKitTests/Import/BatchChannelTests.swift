import Foundation
import Testing

@testable import FeedbackKit

/// The queue between an import's two threads: bounded by its count of batches and by their bytes,
/// in order, and never stuck on a batch larger than its byte bound.
struct BatchChannelTests {
    /// Puts `sizes` on a thread of its own, one batch each (the batch is its index), then finishes.
    private static func produce(_ channel: BatchChannel<Int>, _ sizes: [Int]) -> () -> Void {
        runOnThread {
            for (i, bytes) in sizes.enumerated() where !channel.put(i, bytes: bytes) { return }
            channel.finish(nil)
        }
    }

    /// Waits until `count` batches wait, or two seconds have passed; the batches waiting.
    private static func waitFor(_ count: Int, in channel: BatchChannel<Int>) -> Int {
        let deadline = Date().addingTimeInterval(2)
        while channel.waiting < count && Date() < deadline { usleep(1000) }
        return channel.waiting
    }

    /// Takes every batch left, in order.
    private static func drain(_ channel: BatchChannel<Int>) throws -> [Int] {
        var taken: [Int] = []
        while let batch = try channel.take() { taken.append(batch) }
        return taken
    }

    @Test func theBytesWaitingStayWithinTheBound() throws {
        let channel = BatchChannel<Int>(capacity: 100, byteLimit: 10)
        let done = Self.produce(channel, [4, 4, 4, 4])
        #expect(Self.waitFor(2, in: channel) == 2)
        // A third batch of 4 would make 12 bytes: the producer waits for room.
        usleep(50_000)
        #expect(channel.waiting == 2)
        #expect(try channel.take() == 0)
        #expect(Self.waitFor(2, in: channel) == 2)
        let taken = try Self.drain(channel)
        done()
        #expect(taken == [1, 2, 3])
    }

    @Test func theCountOfBatchesStaysWithinTheCapacity() throws {
        let channel = BatchChannel<Int>(capacity: 3, byteLimit: 1000)
        let done = Self.produce(channel, [1, 1, 1, 1, 1])
        #expect(Self.waitFor(3, in: channel) == 3)
        usleep(50_000)
        #expect(channel.waiting == 3)
        let taken = try Self.drain(channel)
        done()
        #expect(taken == [0, 1, 2, 3, 4])
    }

    @Test func aBatchLargerThanTheBoundGoesAlone() throws {
        let channel = BatchChannel<Int>(capacity: 100, byteLimit: 10)
        let done = Self.produce(channel, [50, 1, 60])
        #expect(Self.waitFor(1, in: channel) == 1)
        // The small one waits behind the large one, which is over the bound on its own.
        usleep(50_000)
        #expect(channel.waiting == 1)
        let taken = try Self.drain(channel)
        done()
        #expect(taken == [0, 1, 2])
    }
}
