#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the CSV parser gets its UTF-8 bytes: the file itself, or a decoder in front of it.
protocol CSVByteSource: AnyObject {
    /// Fills up to `count` bytes at `buffer`; 0 means the end of the input.
    func read(into buffer: UnsafeMutablePointer<UInt8>, count: Int) throws -> Int
}

/// A file read with read(2) in fixed-size chunks, whose first bytes can be sampled before parsing.
/// The CSV and JSON readers all read through it: Foundation's `FileHandle.read(upToCount:)` reads
/// a page at a time into a fresh `Data` (a million JSON lines took 103,370 read calls, a fifth of
/// the import's system time), where this reads each chunk straight into the caller's buffer.
final class FileByteSource: CSVByteSource {
    private let fd: Int32
    private let file: String
    private let chunkSize: Int
    /// The sampled start of the file, served before anything else is read.
    private(set) var head: [UInt8] = []
    private var headOffset = 0
    /// True when the sample reached the end of the file.
    private(set) var headIsWholeFile = false
    /// Where `append(to:)` reads, kept from chunk to chunk.
    private var chunk: [UInt8] = []

    init(path: String, file: String, chunkSize: Int) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw ImportError(file: file, message: "cannot open: \(systemError())")
        }
        self.fd = fd
        self.file = file
        self.chunkSize = max(1, chunkSize)
    }

    deinit {
        close(fd)
    }

    /// Reads up to `limit` bytes into `head`, looping because read(2) may return less than asked.
    func sampleHead(limit: Int) throws {
        head = [UInt8](repeating: 0, count: limit)
        var filled = 0
        try head.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            while filled < limit {
                let n = try readFile(into: base + filled, count: limit - filled)
                if n == 0 {
                    headIsWholeFile = true
                    break
                }
                filled += n
            }
        }
        head.removeSubrange(filled...)
    }

    /// Drops bytes from the front of the sample (a byte-order mark).
    func skipHead(_ count: Int) {
        headOffset = min(head.count, headOffset + count)
    }

    func read(into buffer: UnsafeMutablePointer<UInt8>, count: Int) throws -> Int {
        let wanted = min(count, chunkSize)
        guard wanted > 0 else { return 0 }
        if headOffset < head.count {
            let n = min(wanted, head.count - headOffset)
            head.withUnsafeBufferPointer { sample in
                if let base = sample.baseAddress {
                    buffer.update(from: base + headOffset, count: n)
                }
            }
            headOffset += n
            if headOffset == head.count {
                // The sample is consumed: give its memory back.
                head = []
                headOffset = 0
            }
            return n
        }
        if headIsWholeFile { return 0 }
        return try readFile(into: buffer, count: wanted)
    }

    /// Appends the next chunk to `bytes` and returns its length; 0 at the end of the file.
    func append(to bytes: inout [UInt8]) throws -> Int {
        if chunk.isEmpty { chunk = [UInt8](repeating: 0, count: chunkSize) }
        return try chunk.withUnsafeMutableBufferPointer { chunk in
            // A non-empty array's base address is never nil.
            let n = try read(into: chunk.baseAddress.unsafelyUnwrapped, count: chunk.count)
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: chunk[..<n]))
            return n
        }
    }

    /// Moves to `offset` from the file's start, dropping what is left of the sample.
    func seek(to offset: Int) throws {
        head = []
        headOffset = 0
        headIsWholeFile = false
        guard lseek(fd, off_t(offset), SEEK_SET) >= 0 else {
            throw ImportError(file: file, message: "cannot read: \(systemError())")
        }
    }

    private func readFile(into buffer: UnsafeMutablePointer<UInt8>, count: Int) throws -> Int {
        while true {
            let n = systemRead(fd, buffer, count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw ImportError(file: file, message: "cannot read: \(systemError())")
        }
    }
}

/// Streams a file's GB18030 bytes out as UTF-8 through the C library's iconv.
final class TextDecoder: CSVByteSource {
    private let input: FileByteSource
    private let file: String
    private let converter: UnsafeMutableRawPointer
    private let raw: UnsafeMutablePointer<UInt8>
    private let rawCapacity: Int
    private var rawStart = 0
    private var rawEnd = 0
    private var rawEOF = false
    /// Line breaks already handed out, so an invalid byte can be placed on its line.
    private var lineBreaks = 0
    private var lastWasCR = false

    init(input: FileByteSource, chunkSize: Int, file: String) throws {
        self.converter = try TextDecoder.openConverter(file: file)
        self.input = input
        self.file = file
        // Room for a chunk plus the tail of a multibyte sequence split across chunks.
        self.rawCapacity = max(1, chunkSize) + 8
        self.raw = UnsafeMutablePointer<UInt8>.allocate(capacity: rawCapacity)
    }

    deinit {
        iconv_close(converter)
        raw.deallocate()
    }

    func read(into buffer: UnsafeMutablePointer<UInt8>, count: Int) throws -> Int {
        while true {
            if rawStart < rawEnd {
                var inPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(raw + rawStart)
                    .assumingMemoryBound(to: CChar.self)
                var inLeft = rawEnd - rawStart
                var outPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(buffer)
                    .assumingMemoryBound(to: CChar.self)
                var outLeft = count
                let result = iconv(converter, &inPointer, &inLeft, &outPointer, &outLeft)
                let failure = result == -1 ? errno : 0
                rawStart = rawEnd - inLeft
                let produced = count - outLeft
                if produced > 0 {
                    let counted = CSVScan.countLineBreaks(buffer, from: 0, to: produced, afterCR: lastWasCR)
                    lineBreaks += counted
                    lastWasCR = buffer[produced - 1] == 0x0D
                    // Text before an invalid byte is delivered first; the error comes on the next call.
                    return produced
                }
                if failure == EILSEQ { throw invalidText() }
                if failure == E2BIG {
                    throw ImportError(file: file, message: "internal error: no room to decode GB18030")
                }
                // EINVAL (a sequence cut by the chunk end) or all consumed: read more below.
            }
            if rawEOF {
                if rawStart < rawEnd { throw invalidText() }
                return 0
            }
            let leftover = rawEnd - rawStart
            if leftover > 0 && rawStart > 0 {
                raw.update(from: raw + rawStart, count: leftover)
            }
            rawStart = 0
            rawEnd = leftover
            let n = try input.read(into: raw + rawEnd, count: rawCapacity - rawEnd)
            if n == 0 { rawEOF = true } else { rawEnd += n }
        }
    }

    private func invalidText() -> ImportError {
        ImportError(
            file: file, line: lineBreaks + 1, message: "invalid GB18030 text",
            hint: "pass --encoding utf-8 if the file is UTF-8, or save it as CSV UTF-8")
    }

    private static func openConverter(file: String) throws -> UnsafeMutableRawPointer {
        let handle = iconv_open("UTF-8", "GB18030")
        guard let handle, Int(bitPattern: handle) != -1 else {
            throw ImportError(
                file: file, message: "this system's iconv cannot decode GB18030",
                hint: "install the C library's gconv modules, or save the file as CSV UTF-8")
        }
        return handle
    }

    /// The offset of the first byte that is not GB18030 in `bytes`, or nil when all of it decodes.
    /// When `complete` is false the bytes are a sample, so a sequence cut at the end is accepted.
    static func firstInvalidGB18030(_ bytes: UnsafeBufferPointer<UInt8>, complete: Bool, file: String) throws -> Int? {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return nil }
        let converter = try openConverter(file: file)
        defer { iconv_close(converter) }
        let outCapacity = 64 << 10
        let out = UnsafeMutablePointer<CChar>.allocate(capacity: outCapacity)
        defer { out.deallocate() }
        var inPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(mutating: base)
            .assumingMemoryBound(to: CChar.self)
        var inLeft = bytes.count
        while inLeft > 0 {
            var outPointer: UnsafeMutablePointer<CChar>? = out
            var outLeft = outCapacity
            if iconv(converter, &inPointer, &inLeft, &outPointer, &outLeft) != -1 { break }
            switch errno {
            case E2BIG: continue
            case EINVAL: return complete ? bytes.count - inLeft : nil
            default: return bytes.count - inLeft
            }
        }
        return nil
    }
}

/// The C library's message for the current errno.
private func systemError() -> String {
    String(cString: strerror(errno))
}

/// read(2), under a name the `read` methods above do not shadow.
@inline(__always)
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutablePointer<UInt8>, _ count: Int) -> Int {
    #if canImport(Darwin)
    return Darwin.read(fd, buffer, count)
    #elseif canImport(Musl)
    return Musl.read(fd, buffer, count)
    #else
    return Glibc.read(fd, buffer, count)
    #endif
}
