import Testing

@testable import FeedbackKit

/// ScratchBytes copies short pieces in words of its own rather than through memmove: every length,
/// at every offset in the buffer and in the source, must give the bytes an array gives.
struct ScratchBytesTests {
    @Test func piecesOfEveryLengthAreCopiedAsTheyAre() {
        var random = SplitMix64(seed: 27)
        let source = (0..<64).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        // A small start, so that appends also cross the buffer's growth.
        let scratch = ScratchBytes(capacity: 16)
        var expected: [UInt8] = []
        for length in 1...40 {
            for sourceOffset in [0, 1, 3, 7, 24 - length / 2] {
                let range = sourceOffset..<(sourceOffset + length)
                source.withUnsafeBufferPointer { scratch.append(contentsOf: UnsafeBufferPointer(rebasing: $0[range])) }
                expected += source[range]
                // One byte between pieces, so that each piece starts at another offset of the buffer.
                scratch.append(UInt8(length))
                expected.append(UInt8(length))
            }
        }
        #expect(scratch.bytes == expected)
        #expect(scratch.count == expected.count)

        // An empty piece adds nothing.
        [UInt8]().withUnsafeBufferPointer { scratch.append(contentsOf: $0) }
        #expect(scratch.count == expected.count)

        // Written through an unretained writer, as the lean path writes.
        scratch.removeAll()
        var out = UnretainedScratch(scratch)
        for length in 1...20 {
            source.withUnsafeBufferPointer { out.append(contentsOf: UnsafeBufferPointer(rebasing: $0[length..<(2 * length)])) }
        }
        #expect(scratch.bytes == (1...20).flatMap { source[$0..<(2 * $0)] })
    }
}
