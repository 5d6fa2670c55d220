import Foundation
import GRDB
import GRDBSQLite

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// Written by hand for speed: these runs were chunks in the store itself until the thirty-second
// round (bench/README.md). Each merge of a large import then went through SQLite's B-tree row by
// row, deleted the runs it had read row by row, and spilled pages from its cache, and each search
// for a hash the identity filter could not rule out read a page through it: at ten million rows
// the merges and those searches were about a third of the storing thread's time, and grew faster
// than the rows.

/// A write transaction's identity runs while it lasts (see `IdentityRuns`): each batch of its
/// hashes, sorted, and the runs its batches merge into, in two temporary files beside the store
/// rather than in it. At the transaction's end they are merged into one run of the store, so the
/// store's format does not know of them; the files are unlinked as soon as they are made, so that
/// nothing is left behind whatever becomes of the process.
///
/// A run is written once, in (hash, id) order, as 16-byte entries (`IdentityRuns.Chunk`); it is read
/// whole once, by the merge that makes it part of a larger run or by the transaction's end, and a
/// page at a time by searches. The first hash
/// of each page of 256 entries stays in memory (8 bytes a page, 0.3 MB at ten million), so that a
/// search reads the one page that may hold its hash, 4 KiB, with one `pread`.
///
/// Runs are merged `fanIn` of one level at a time into one of the next level, as `IdentityRuns`
/// describes. The runs of even levels are kept in one file and those of odd levels in the other,
/// each file as a stack: the runs a merge reads are always the newest of their file (no run of a
/// lower level is left when they merge), so the next run of that file is written where they began,
/// and the run the merge writes is the newest of the other. Neither file grows past the most that
/// its runs held at once.
final class ScratchRuns {
    /// A run: where it is, how many entries it holds, and the first hash of each of its pages.
    struct Run {
        let level: Int
        let offset: Int
        let count: Int
        let fences: [Int64]
        let lastHash: Int64

        var file: Int { level & 1 }
    }

    static let pageEntries = 256
    private static let entrySize = IdentityRuns.Chunk.entrySize

    /// Where the files go: the store's folder.
    private let folder: String
    private var files: [ScratchFile?] = [nil, nil]
    /// The runs, oldest first.
    private(set) var runs: [Run] = []
    /// A page read by a search.
    private var page: [UInt8] = Array(repeating: 0, count: pageEntries * entrySize)

    init(folder: String) {
        self.folder = folder
    }

    /// The folder of the store `db` is open on, for the files; the temporary folder for a store
    /// that has no file.
    static func folder(of db: Database) -> String {
        let path = sqlite3_db_filename(db.sqliteConnection, "main").map { String(cString: $0) } ?? ""
        guard let slash = path.lastIndex(of: "/") else {
            return path.isEmpty ? FileManager.default.temporaryDirectory.path : "."
        }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    var isEmpty: Bool { runs.isEmpty }
    var entries: Int { runs.reduce(0) { $0 + $1.count } }

    /// Adds a batch, in (hash, id) order, as a run of level 0, then merges the newest `fanIn` runs
    /// while they are of one level.
    func add(sorted entries: [IdentityRuns.Entry], fanIn: Int) throws {
        guard !entries.isEmpty else { return }
        var writer = try RunWriter(level: 0, file: file(0))
        for entry in entries { try writer.append(entry) }
        runs.append(try writer.finish())
        while runs.count >= fanIn, runs[runs.count - fanIn..<runs.count].allSatisfy({ $0.level == runs[runs.count - 1].level }) {
            try mergeNewest(fanIn)
        }
    }

    private func file(_ index: Int) throws -> ScratchFile {
        if let file = files[index] { return file }
        let file = try ScratchFile(folder: folder)
        files[index] = file
        return file
    }

    private func mergeNewest(_ count: Int) throws {
        let sources = Array(runs.suffix(count))
        let level = sources[0].level
        let from = try file(level & 1)
        var writer = try RunWriter(level: level + 1, file: file((level + 1) & 1))
        try IdentityRuns.merge(sources.map { Cursor(file: from, run: $0) }) { try writer.append($0) }
        runs.removeLast(count)
        runs.append(try writer.finish())
        // The runs read were the newest of their file: it ends where the first of them began.
        from.rewind(to: sources[0].offset)
    }

    /// Appends the ids stored under `hash` in any run.
    func ids(of hash: Int64, into found: inout [Int64]) throws {
        for run in runs where !run.fences.isEmpty && hash >= run.fences[0] && hash <= run.lastHash {
            let file = try file(run.file)
            // The last page starting below the hash holds its first entries, if any; the pages
            // after it that start with the hash hold the rest.
            var low = 0
            var high = run.fences.count
            while low < high {
                let middle = (low + high) / 2
                if run.fences[middle] < hash { low = middle + 1 } else { high = middle }
            }
            var index = max(low - 1, 0)
            repeat {
                let entries = min(Self.pageEntries, run.count - index * Self.pageEntries)
                let bytes = entries * Self.entrySize
                try page.withUnsafeMutableBytes { raw in
                    guard let base = raw.baseAddress else { return }
                    try file.read(into: base, count: bytes, at: run.offset + index * Self.pageEntries * Self.entrySize)
                    IdentityRuns.Chunk(bytes: UnsafeRawBufferPointer(rebasing: raw[0..<bytes])).ids(of: hash, into: &found)
                }
                index += 1
            } while index < run.fences.count && run.fences[index] == hash
        }
    }

    /// Calls `body` with every hash of every run.
    func forEachHash(_ body: (Int64) -> Void) throws {
        var entries: [IdentityRuns.Entry] = []
        for run in runs {
            let cursor = Cursor(file: try file(run.file), run: run)
            while try cursor.fill(&entries) {
                for entry in entries { body(entry.hash) }
            }
        }
    }

    /// Readers of every run, for the merge that ends the transaction.
    func cursors() throws -> [Cursor] {
        try runs.map { Cursor(file: try file($0.file), run: $0) }
    }

    /// Drops every run and closes the files.
    func removeAll() {
        runs = []
        files = [nil, nil]
    }

    /// Reads a run in order, 1,024 entries (16 KiB) at a time.
    final class Cursor: IdentityRuns.EntryFeed {
        private let file: ScratchFile
        private let run: Run
        private var read = 0
        private var buffer: [UInt8] = []

        init(file: ScratchFile, run: Run) {
            self.file = file
            self.run = run
        }

        func fill(_ entries: inout [IdentityRuns.Entry]) throws -> Bool {
            entries.removeAll(keepingCapacity: true)
            let count = min(1_024, run.count - read)
            guard count > 0 else { return false }
            let bytes = count * ScratchRuns.entrySize
            if buffer.count < bytes { buffer = Array(repeating: 0, count: bytes) }
            let offset = run.offset + read * ScratchRuns.entrySize
            try buffer.withUnsafeMutableBytes { raw in
                guard let base = raw.baseAddress else { return }
                try file.read(into: base, count: bytes, at: offset)
                IdentityRuns.Chunk(bytes: UnsafeRawBufferPointer(rebasing: raw[0..<bytes])).forEach { entries.append($0) }
            }
            read += count
            return true
        }
    }

    /// Writes a run at the end of its file, 4,096 entries (64 KiB) at a time.
    private struct RunWriter {
        let level: Int
        let file: ScratchFile
        let offset: Int
        private var bytes: [UInt8] = []
        private var count = 0
        private var fences: [Int64] = []
        private var lastHash: Int64 = 0

        init(level: Int, file: ScratchFile) throws {
            self.level = level
            self.file = file
            offset = file.end
            bytes.reserveCapacity(4_096 * ScratchRuns.entrySize)
        }

        mutating func append(_ entry: IdentityRuns.Entry) throws {
            if count % ScratchRuns.pageEntries == 0 { fences.append(entry.hash) }
            withUnsafeBytes(of: entry.hash.littleEndian) { bytes.append(contentsOf: $0) }
            withUnsafeBytes(of: entry.id.littleEndian) { bytes.append(contentsOf: $0) }
            lastHash = entry.hash
            count += 1
            if bytes.count >= 4_096 * ScratchRuns.entrySize { try flush() }
        }

        private mutating func flush() throws {
            try file.append(bytes)
            bytes.removeAll(keepingCapacity: true)
        }

        mutating func finish() throws -> Run {
            try flush()
            return Run(level: level, offset: offset, count: count, fences: fences, lastHash: lastHash)
        }
    }
}

/// A file of `ScratchRuns`, unlinked once made and closed when dropped.
final class ScratchFile {
    private let fd: Int32
    private let folder: String
    /// Where the next run starts.
    private(set) var end = 0

    init(folder: String) throws {
        self.folder = folder
        var template = Array((folder + "/.feedback-identity-XXXXXX").utf8CString)
        let fd = template.withUnsafeMutableBufferPointer { $0.baseAddress.map { mkstemp($0) } ?? -1 }
        guard fd >= 0 else { throw Self.failure("cannot make a temporary file in \(folder)") }
        self.fd = fd
        _ = template.withUnsafeBufferPointer { $0.baseAddress.map { unlink($0) } }
    }

    deinit {
        close(fd)
    }

    private static func failure(_ what: String) -> StoreError {
        StoreError(
            "\(what) for the import's identity check: \(String(cString: strerror(errno))); the import was not stored. Free some disk space there, or let the user running feedback write in that folder, and import again"
        )
    }

    func append(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            var done = 0
            while done < raw.count {
                let n = pwrite(fd, base + done, raw.count - done, off_t(end + done))
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { throw Self.failure("cannot write a temporary file in \(folder)") }
                done += n
            }
        }
        end += bytes.count
    }

    func read(into buffer: UnsafeMutableRawPointer, count: Int, at offset: Int) throws {
        var done = 0
        while done < count {
            let n = pread(fd, buffer + done, count - done, off_t(offset + done))
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw Self.failure("cannot read back a temporary file in \(folder)") }
            done += n
        }
    }

    /// Makes the next run start at `offset`, over what lies past it. The file keeps its length:
    /// writing over pages the system holds already costs less than writing to new ones, which it
    /// must find room for (cut back with `ftruncate` after each merge, the files took a 10M import
    /// from about 19 to 23–25 s).
    func rewind(to offset: Int) {
        end = offset
    }
}
