import Foundation

/// Why a compound file could not be read, in words for the person who has to deal with the file.
struct CompoundFileError: Error, Equatable {
    var reason: String
}

/// Streams of an OLE2 compound file ([MS-CFB]), the container of legacy .xls workbooks.
///
/// Written by hand because no library for this format is available to the project. Every sector
/// number read from the file is checked against the file's size, every chain walk is capped by the number
/// of sectors that exist (so a looping chain ends with an error instead of running forever), and no
/// allocation is sized from a declared length before that length has been checked against the file size.
struct CompoundFile {
    static let signature: [UInt8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]

    private static let endOfChain: UInt32 = 0xFFFF_FFFE
    private static let freeSector: UInt32 = 0xFFFF_FFFF
    private static let lastRegularSector: UInt32 = 0xFFFF_FFFA
    private static let noEntry: UInt32 = 0xFFFF_FFFF

    struct Entry {
        enum Kind: UInt8 {
            case unused = 0, storage = 1, stream = 2, root = 5
        }

        var name: String
        var kind: Kind
        var left: UInt32
        var right: UInt32
        var child: UInt32
        var start: UInt32
        var size: UInt64
    }

    private let bytes: [UInt8]
    private let sectorSize: Int
    private let sectorCount: Int
    private let miniSectorSize: Int
    private let miniCutoff: UInt64
    private let fat: [UInt32]
    private let firstMiniFATSector: UInt32
    private let miniFATSectorCount: Int
    let entries: [Entry]

    init(bytes: [UInt8]) throws {
        self.bytes = bytes
        guard bytes.count >= 512 else {
            throw CompoundFileError(reason: "the file is cut short inside its 512-byte header")
        }
        guard bytes.starts(with: Self.signature) else {
            throw CompoundFileError(reason: "the compound-file signature is missing")
        }
        guard Self.uint16(bytes, 28) == 0xFFFE else {
            throw CompoundFileError(reason: "the header names an unknown byte order")
        }
        let sectorShift = Self.uint16(bytes, 30)
        guard sectorShift == 9 || sectorShift == 12 else {
            throw CompoundFileError(reason: "the header gives an invalid sector size (2^\(sectorShift) bytes)")
        }
        guard Self.uint16(bytes, 32) == 6 else {
            throw CompoundFileError(reason: "the header gives an invalid mini sector size")
        }
        sectorSize = 1 << Int(sectorShift)
        miniSectorSize = 64
        // The header takes the first sector's worth of bytes; a cut-off last sector still counts.
        sectorCount = max(0, (bytes.count - sectorSize + sectorSize - 1) / sectorSize)
        let cutoff = UInt64(Self.uint32(bytes, 56))
        miniCutoff = cutoff == 0 || cutoff > 1 << 20 ? 4_096 : cutoff
        firstMiniFATSector = Self.uint32(bytes, 60)
        miniFATSectorCount = Int(Self.uint32(bytes, 64))

        let fatSectorCount = Int(Self.uint32(bytes, 44))
        guard fatSectorCount <= sectorCount else {
            throw CompoundFileError(
                reason: "the header lists \(fatSectorCount) FAT sectors but the file holds only \(sectorCount) sectors")
        }
        var fatSectors: [UInt32] = []
        fatSectors.reserveCapacity(fatSectorCount)
        for index in 0..<min(fatSectorCount, 109) {
            fatSectors.append(Self.uint32(bytes, 76 + 4 * index))
        }
        // FAT sectors past the first 109 are listed in a chain of DIFAT sectors, each ending with a link.
        var difatSector = Self.uint32(bytes, 68)
        var difatSeen = Set<UInt32>()
        while fatSectors.count < fatSectorCount {
            guard difatSector <= Self.lastRegularSector else {
                throw CompoundFileError(reason: "the list of FAT sectors (DIFAT) ends early")
            }
            guard difatSeen.insert(difatSector).inserted else {
                throw CompoundFileError(reason: "the list of FAT sectors (DIFAT) loops")
            }
            let offset = try Self.sectorOffset(
                difatSector, what: "DIFAT", sectorSize: sectorSize, sectorCount: sectorCount, fileSize: bytes.count)
            let linksPerSector = sectorSize / 4 - 1
            for index in 0..<linksPerSector where fatSectors.count < fatSectorCount {
                fatSectors.append(Self.uint32(bytes, offset + 4 * index))
            }
            difatSector = Self.uint32(bytes, offset + 4 * linksPerSector)
        }

        var fat: [UInt32] = []
        fat.reserveCapacity(fatSectorCount * sectorSize / 4)
        for sector in fatSectors {
            let offset = try Self.sectorOffset(
                sector, what: "FAT", sectorSize: sectorSize, sectorCount: sectorCount, fileSize: bytes.count)
            for index in 0..<(sectorSize / 4) {
                fat.append(Self.uint32(bytes, offset + 4 * index))
            }
        }
        self.fat = fat

        var entries: [Entry] = []
        let size = sectorSize
        let directory = try Self.chainData(
            start: Self.uint32(bytes, 48), byteCount: nil, what: "the directory", bytes: bytes, table: fat,
            unitSize: size, unitOffset: { (Int($0) + 1) * size }, unitCount: sectorCount)
        var offset = 0
        while offset + 128 <= directory.count {
            entries.append(Self.entry(directory, at: offset, version3: sectorSize == 512))
            offset += 128
        }
        guard let root = entries.first, root.kind == .root else {
            throw CompoundFileError(reason: "the directory has no root entry")
        }
        self.entries = entries
    }

    /// The top-level stream with one of `names` (compared ignoring case, first name preferred).
    func stream(named names: [String]) throws -> (name: String, data: [UInt8])? {
        let children = topLevelEntries()
        for wanted in names.map({ $0.lowercased() }) {
            // Walk the tree first; fall back to every entry in case the tree links are broken.
            let match =
                children.first { $0.kind == .stream && $0.name.lowercased() == wanted }
                ?? entries.first { $0.kind == .stream && $0.name.lowercased() == wanted }
            if let match { return (match.name, try data(of: match)) }
        }
        return nil
    }

    /// Entries directly under the root, found by walking the directory's red-black tree.
    private func topLevelEntries() -> [Entry] {
        var found: [Entry] = []
        var visited = Set<UInt32>()
        var pending = [entries[0].child]
        while let id = pending.popLast() {
            guard id != Self.noEntry, Int(id) < entries.count, visited.insert(id).inserted else { continue }
            let entry = entries[Int(id)]
            found.append(entry)
            pending.append(entry.left)
            pending.append(entry.right)
        }
        return found
    }

    func data(of entry: Entry) throws -> [UInt8] {
        let what = "the \(entry.name) stream"
        guard entry.size <= UInt64(bytes.count) else {
            throw CompoundFileError(
                reason: "\(what) claims \(entry.size) bytes, more than the whole file (\(bytes.count) bytes)")
        }
        if entry.size == 0 { return [] }
        if entry.size >= miniCutoff {
            return try Self.chainData(
                start: entry.start, byteCount: Int(entry.size), what: what, bytes: bytes, table: fat,
                unitSize: sectorSize, unitOffset: { (Int($0) + 1) * sectorSize }, unitCount: sectorCount)
        }
        // Small streams live in 64-byte mini sectors inside the root entry's stream, chained by the mini FAT.
        let root = entries[0]
        guard root.size <= UInt64(bytes.count) else {
            throw CompoundFileError(reason: "the mini stream claims more bytes than the whole file")
        }
        let miniStream = try Self.chainData(
            start: root.start, byteCount: Int(root.size), what: "the mini stream", bytes: bytes, table: fat,
            unitSize: sectorSize, unitOffset: { (Int($0) + 1) * sectorSize }, unitCount: sectorCount)
        guard miniFATSectorCount <= sectorCount else {
            throw CompoundFileError(reason: "the header lists more mini FAT sectors than the file holds")
        }
        let miniFATBytes = try Self.chainData(
            start: firstMiniFATSector, byteCount: nil, what: "the mini FAT", bytes: bytes, table: fat,
            unitSize: sectorSize, unitOffset: { (Int($0) + 1) * sectorSize }, unitCount: sectorCount)
        var miniFAT: [UInt32] = []
        miniFAT.reserveCapacity(miniFATBytes.count / 4)
        for index in stride(from: 0, to: miniFATBytes.count - 3, by: 4) {
            miniFAT.append(Self.uint32(miniFATBytes, index))
        }
        let miniSize = miniSectorSize
        return try Self.chainData(
            start: entry.start, byteCount: Int(entry.size), what: what, bytes: miniStream, table: miniFAT,
            unitSize: miniSize, unitOffset: { Int($0) * miniSize },
            unitCount: (miniStream.count + miniSize - 1) / miniSize, pastEndMeansCutShort: false)
    }

    // MARK: Reading helpers

    private static func sectorOffset(
        _ sector: UInt32, what: String, sectorSize: Int, sectorCount: Int, fileSize: Int
    ) throws -> Int {
        guard sector <= lastRegularSector, Int(sector) < sectorCount else {
            throw CompoundFileError(reason: pastEndReason(what: "\(what) sector \(sector)", fileSize: fileSize, sectorSize: sectorSize))
        }
        let offset = (Int(sector) + 1) * sectorSize
        guard offset + sectorSize <= fileSize else {
            throw CompoundFileError(reason: pastEndReason(what: "\(what) sector \(sector)", fileSize: fileSize, sectorSize: sectorSize))
        }
        return offset
    }

    /// Writers always fill whole sectors, so a size that is not a whole number of sectors points to an
    /// interrupted copy or download; otherwise the sector number itself is more likely to be garbage.
    private static func pastEndReason(what: String, fileSize: Int, sectorSize: Int) -> String {
        let reason = "\(what) lies past the end of the file (\(fileSize) bytes)"
        return fileSize % sectorSize == 0 ? reason : reason + "; the file looks cut short"
    }

    /// Concatenates the units (sectors or mini sectors) of a chain. With `byteCount` the walk stops once
    /// enough bytes are there; without it the chain must end properly. A unit met twice is reported as a
    /// loop rather than followed, so the walk visits each of the `unitCount` existing units at most once.
    private static func chainData(
        start: UInt32, byteCount: Int?, what: String, bytes: [UInt8], table: [UInt32],
        unitSize: Int, unitOffset: (UInt32) -> Int, unitCount: Int, pastEndMeansCutShort: Bool = true
    ) throws -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(byteCount ?? 0)
        var unit = start
        var visited = [Bool](repeating: false, count: unitCount)
        while unit != endOfChain {
            if let byteCount, output.count >= byteCount { break }
            guard unit <= lastRegularSector else {
                throw CompoundFileError(reason: "the sector chain of \(what) runs into a free sector")
            }
            guard Int(unit) < table.count, Int(unit) < unitCount || pastEndMeansCutShort else {
                throw CompoundFileError(
                    reason: "the sector chain of \(what) points to sector \(unit), which does not exist")
            }
            // The FAT maps this sector but the file stops before it: the usual sign of an interrupted download.
            guard Int(unit) < unitCount else {
                throw CompoundFileError(
                    reason: pastEndReason(what: "sector \(unit) of \(what)", fileSize: bytes.count, sectorSize: unitSize))
            }
            guard !visited[Int(unit)] else {
                throw CompoundFileError(reason: "the sector chain of \(what) loops")
            }
            visited[Int(unit)] = true
            let offset = unitOffset(unit)
            let end = min(offset + unitSize, bytes.count)
            guard offset < end else {
                throw CompoundFileError(
                    reason: pastEndReason(what: "sector \(unit) of \(what)", fileSize: bytes.count, sectorSize: unitSize))
            }
            output.append(contentsOf: bytes[offset..<end])
            unit = table[Int(unit)]
        }
        if let byteCount {
            guard output.count >= byteCount else {
                throw CompoundFileError(reason: "\(what) is cut short (\(output.count) of \(byteCount) bytes)")
            }
            output.removeSubrange(byteCount...)
        }
        return output
    }

    private static func entry(_ data: [UInt8], at offset: Int, version3: Bool) -> Entry {
        let nameBytes = min(Int(uint16(data, offset + 64)), 64)
        var units: [UInt16] = []
        for index in stride(from: 0, to: max(0, nameBytes - 2), by: 2) {
            units.append(uint16(data, offset + index))
        }
        // Version 3 files may leave garbage in the upper half of the size field.
        let low = UInt64(uint32(data, offset + 120))
        let high = UInt64(uint32(data, offset + 124))
        return Entry(
            name: String(decoding: units, as: UTF16.self),
            kind: Entry.Kind(rawValue: data[offset + 66]) ?? .unused,
            left: uint32(data, offset + 68),
            right: uint32(data, offset + 72),
            child: uint32(data, offset + 76),
            start: uint32(data, offset + 116),
            size: version3 ? low : high << 32 | low)
    }

    static func uint16(_ data: [UInt8], _ offset: Int) -> UInt16 {
        UInt16(data[offset]) | UInt16(data[offset + 1]) << 8
    }

    static func uint32(_ data: [UInt8], _ offset: Int) -> UInt32 {
        UInt32(data[offset]) | UInt32(data[offset + 1]) << 8 | UInt32(data[offset + 2]) << 16
            | UInt32(data[offset + 3]) << 24
    }
}
