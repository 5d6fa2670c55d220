#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a line of JSON Lines that holds a flat object straight into cells: its keys and values as
/// `JSONNode.flattened()` and `fieldValue` give them, without building the tree of nodes.
///
/// Written by hand over the line's bytes where they lie (for speed). Through `JSONParser`, reading a
/// line took about 14,000 instructions for the 420 bytes of a line of the bench data (callgrind):
/// each byte went through an array's bounds check, and every key, value and escape through a closure.
///
/// It accepts an object of strings, numbers, booleans, nulls and arrays of strings, numbers and
/// booleans, with JSON's white space between tokens. Anything else (a nested object, an array of
/// anything else, bytes that are not UTF-8, anything malformed) gives false, and the caller reads
/// the line with the full parser, which says what is wrong. Tests compare the two on every line
/// they read (CellPathTests, MutationTests).
struct FlatJSONLine {
    private let bytes: UnsafePointer<UInt8>
    private let count: Int
    private var index = 0
    /// Where an escaped string's bytes are written, unescaped; kept by the caller from line to line.
    private var unescaped: [UInt8]

    /// A string just read: its bytes in the line, or, when it held escapes, in `unescaped`.
    private enum Text {
        case plain(start: Int, count: Int)
        case unescaped
    }

    private init(_ line: UnsafeBufferPointer<UInt8>, base: UnsafePointer<UInt8>, scratch: [UInt8]) {
        bytes = base
        count = line.count
        unescaped = scratch
    }

    /// Reads `line` into `values` (one field a value; nulls and arrays as other values, see
    /// CSVCells), and its keys into `keys`, unless they are those of `expected` (the keys of the line
    /// before) in the same order: then `keys` is left as it was and `sameKeys` is set (for speed:
    /// reading every key of every line into `keys` was a tenth of reading a line). False for a line
    /// this does not read (see above); the cells are then not to be used. `template` is
    /// `Template(expected)`.
    static func read(
        _ line: UnsafeBufferPointer<UInt8>, expected: CSVCells, template: Template, keys: inout CSVCells, values: inout CSVCells,
        sameKeys: inout Bool, scratch: inout [UInt8]
    ) -> Bool {
        guard let base = line.baseAddress else { return false }
        var reader = FlatJSONLine(line, base: base, scratch: [])
        swap(&reader.unescaped, &scratch)
        defer { swap(&reader.unescaped, &scratch) }
        if template.fits, reader.readCompact(template, values: &values) {
            sameKeys = true
            return true
        }
        reader.index = 0
        return expected.withFields { keyBytes, keyEnds in
            let known = KnownKeys(bytes: keyBytes, ends: keyEnds, count: template.arePlain ? keyEnds.count : 0)
            return reader.readObject(expected: expected, known: known, keys: &keys, values: &values, sameKeys: &sameKeys)
        }
    }

    /// Reads `line` into `cells` where its values lie (see LineCells), when it holds the keys of
    /// `template` in its order, written without white space between tokens (see `readCompact`).
    /// False for any other line, which `read` then reads; the cells are then not to be used.
    static func readLean(_ line: UnsafeBufferPointer<UInt8>, template: Template, into cells: LineCells, scratch: inout [UInt8]) -> Bool {
        guard template.fits, let base = line.baseAddress else { return false }
        var reader = FlatJSONLine(line, base: base, scratch: [])
        swap(&reader.unescaped, &scratch)
        defer { swap(&reader.unescaped, &scratch) }
        var sink = cells
        return reader.readCompact(template, values: &sink)
    }

    /// What `read` knows before a line of the keys of the line before.
    struct Template {
        /// Whether no key holds a quote, a backslash or a control byte (`arePlain`), so that each
        /// appears in a line as its own bytes between quotes.
        let arePlain: Bool
        /// The bytes before each value of a line with the same keys written without white space:
        /// `{"k0":`, `,"k1":` and so on, one after the other; `ends` says where each ends. Empty
        /// where the keys are not plain, or there are none.
        private let patterns: [UInt8]
        private let ends: [Int]

        init(_ keys: CSVCells) {
            arePlain = FlatJSONLine.arePlain(keys)
            var patterns: [UInt8] = []
            var ends: [Int] = []
            if arePlain {
                for i in 0..<keys.fieldCount {
                    patterns.append(i == 0 ? UInt8(ascii: "{") : UInt8(ascii: ","))
                    patterns.append(UInt8(ascii: "\""))
                    keys.withField(i) { patterns.append(contentsOf: $0) }
                    patterns.append(contentsOf: "\":".utf8)
                    ends.append(patterns.count)
                }
            }
            self.patterns = patterns
            self.ends = ends
        }

        /// Whether a line may be read by the template (`readCompact`).
        var fits: Bool { !ends.isEmpty }

        func withPatterns<T>(_ body: (UnsafeRawPointer, UnsafeBufferPointer<Int>) -> T) -> T {
            patterns.withUnsafeBytes { bytes in ends.withUnsafeBufferPointer { body(bytes.baseAddress.unsafelyUnwrapped, $0) } }
        }
    }

    /// Reads a line with the template's keys in its order, written without white space between
    /// tokens (as exports write JSON Lines), comparing the text before each value with the
    /// template's as words (for speed: passing over white space and each key, its quotes, the colon
    /// and the comma one at a time was half of reading a line). False for any other line, which
    /// `readObject` then reads from its start.
    private mutating func readCompact<Sink: FlatJSONSink>(_ template: Template, values: inout Sink) -> Bool {
        template.withPatterns { patterns, ends in
            values.startRecord(expecting: ends.count, lineLength: count)
            var from = 0
            for i in 0..<ends.count {
                let length = ends[i] &- from
                guard count &- index > length, Self.equal(bytes + index, patterns + from, length) else { return false }
                index &+= length
                from = ends[i]
                guard Sink.readValue(&self, into: &values) else { return false }
            }
            guard take(UInt8(ascii: "}")) else { return false }
            skipSpace()
            return index == count
        }
    }

    /// Whether `keys`' bytes hold no quote, backslash or control byte: what `read` asks of the keys
    /// it is to find by their bytes.
    static func arePlain(_ keys: CSVCells) -> Bool {
        keys.withFields { bytes, ends in
            // The storage may be longer than its fields.
            let length = ends.last ?? 0
            guard length > 0, let base = bytes.baseAddress else { return true }
            var high: UInt64 = 0
            return specialByte(base.assumingMemoryBound(to: UInt8.self), from: 0, to: length, high: &high) == length
        }
    }

    /// The first `count` keys of the line before, where the next key is looked for first as its
    /// bytes between quotes (for speed: reading a key as a string and then comparing it was a fifth
    /// of reading a line).
    private struct KnownKeys {
        let bytes: UnsafeRawBufferPointer
        let ends: UnsafeBufferPointer<Int>
        let count: Int
    }

    private mutating func readObject(
        expected: CSVCells, known: KnownKeys, keys: inout CSVCells, values: inout CSVCells, sameKeys: inout Bool
    ) -> Bool {
        values.startRecord(expecting: values.fieldCount)
        // How many keys have matched `expected` so far; nil once one did not, and `keys` is written.
        var matching: Int? = 0
        skipSpace()
        guard take(UInt8(ascii: "{")) else { return false }
        skipSpace()
        var open = !take(UInt8(ascii: "}"))
        while open {
            skipSpace()
            if let matched = matching, matched < known.count, takeKnown(matched, of: known) {
                matching = matched + 1
            } else {
                guard take(UInt8(ascii: "\"")), let key = readString() else { return false }
                if let matched = matching {
                    if matched < expected.fieldCount && isField(matched, of: expected, key) {
                        matching = matched + 1
                    } else {
                        keys.copyFields(matched, of: expected)
                        matching = nil
                    }
                }
                if matching == nil { with(key) { keys.appendField($0, count: $1) } }
            }
            skipSpace()
            guard take(UInt8(ascii: ":")) else { return false }
            skipSpace()
            guard readValue(into: &values) else { return false }
            skipSpace()
            if take(UInt8(ascii: "}")) {
                open = false
            } else if !take(UInt8(ascii: ",")) {
                return false
            }
        }
        skipSpace()
        guard index == count else { return false }
        if let matched = matching {
            sameKeys = matched == expected.fieldCount
            if !sameKeys { keys.copyFields(matched, of: expected) }
        } else {
            sameKeys = false
        }
        return true
    }

    /// Reads the value at `index` into `values`: false for a value this does not read.
    @inline(__always)
    fileprivate mutating func readValue(into values: inout CSVCells) -> Bool {
        guard index < count else { return false }
        switch bytes[index] {
        case UInt8(ascii: "n"):
            guard takeWord("null") else { return false }
            values.appendOther(.null)
        case UInt8(ascii: "["):
            index &+= 1
            var items: [String] = []
            let read = readScalars { start, count in
                items.append(String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self))
                return true
            }
            guard read else { return false }
            values.appendOther(.list(items))
        default:
            guard let scalar = readScalar() else { return false }
            with(scalar) { values.appendField($0, count: $1) }
        }
        return true
    }

    /// The same into cells that keep where each value lies (see LineCells); false also where the
    /// cells have no room left.
    @inline(__always)
    fileprivate mutating func readValue(into cells: LineCells) -> Bool {
        guard index < count else { return false }
        switch bytes[index] {
        case UInt8(ascii: "n"):
            guard takeWord("null") else { return false }
            cells.appendNull()
        case UInt8(ascii: "["):
            index &+= 1
            guard cells.startList(), readScalars({ start, count in cells.appendItem(UnsafeBufferPointer(start: start, count: count)) })
            else { return false }
            cells.endList()
        default:
            guard let scalar = readScalar() else { return false }
            // An unescaped string's bytes are overwritten by the next one's.
            if case .text(.unescaped) = scalar { return unescaped.withUnsafeBufferPointer { cells.append(copying: $0) } }
            with(scalar) { cells.append(lasting: $0, count: $1) }
        }
        return true
    }

    /// Passes over known key `i` written as its bytes between quotes, when it is next. Its bytes
    /// are UTF-8 (they were checked when the line before was read) and plain (see `KnownKeys`), so
    /// they are the key as `readString` would read it; any other way of writing it is left to
    /// `readString`.
    @inline(__always)
    private mutating func takeKnown(_ i: Int, of known: KnownKeys) -> Bool {
        let start = i == 0 ? 0 : known.ends[i &- 1]
        let length = known.ends[i] &- start
        let quote = UInt8(ascii: "\"")
        guard count &- index >= length &+ 2, bytes[index] == quote, bytes[index &+ 1 &+ length] == quote,
            length == 0 || known.bytes.baseAddress.map({ Self.equal(bytes + (index &+ 1), $0 + start, length) }) == true
        else { return false }
        index &+= length &+ 2
        return true
    }

    /// Whether the `length` (at least 1) bytes at `a` and `b` are the same, eight at a time (for
    /// speed: a call of `memcmp` for a key of a dozen bytes cost as much as the key's search).
    @inline(__always)
    private static func equal(_ a: UnsafePointer<UInt8>, _ b: UnsafeRawPointer, _ length: Int) -> Bool {
        let a = UnsafeRawPointer(a)
        if length < 8 {
            var i = 0
            while i < length {
                guard a.load(fromByteOffset: i, as: UInt8.self) == b.load(fromByteOffset: i, as: UInt8.self) else { return false }
                i &+= 1
            }
            return true
        }
        var i = 0
        while i &+ 8 < length {
            guard a.loadUnaligned(fromByteOffset: i, as: UInt64.self) == b.loadUnaligned(fromByteOffset: i, as: UInt64.self) else {
                return false
            }
            i &+= 8
        }
        // The last eight bytes, which may overlap the word before.
        let last = length &- 8
        return a.loadUnaligned(fromByteOffset: last, as: UInt64.self) == b.loadUnaligned(fromByteOffset: last, as: UInt64.self)
    }

    /// Reads the items of the array whose "[" was just read, when each is a string, a number or a
    /// boolean (`JSONNode.fieldValue` makes such an array a list), calling `item` with the bytes of
    /// each as a cell holds them; false for any other array, or where `item` returns false.
    private mutating func readScalars(_ item: (UnsafePointer<UInt8>, Int) -> Bool) -> Bool {
        skipSpace()
        if take(UInt8(ascii: "]")) { return true }
        while true {
            skipSpace()
            guard let scalar = readScalar(), with(scalar, item) else { return false }
            skipSpace()
            if take(UInt8(ascii: "]")) { return true }
            guard take(UInt8(ascii: ",")) else { return false }
        }
    }

    /// A string, a number or a boolean: the values a cell holds as text, and an array's items.
    private enum Scalar {
        case text(Text)
        /// Where the number's text lies in the line.
        case number(Range<Int>)
        case boolean(Bool)
    }

    /// The string, number or boolean at `index`; nil for any other value, or a malformed one.
    private mutating func readScalar() -> Scalar? {
        guard index < count else { return nil }
        switch bytes[index] {
        case UInt8(ascii: "\""):
            index &+= 1
            return readString().map(Scalar.text)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return readNumber().map(Scalar.number)
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return readBoolean().map(Scalar.boolean)
        default: return nil
        }
    }

    /// Calls `body` with the bytes of a value just read, as its cell holds them ("true", "false"
    /// for a boolean, a number as written).
    @inline(__always)
    private func with<T>(_ scalar: Scalar, _ body: (UnsafePointer<UInt8>, Int) -> T) -> T {
        switch scalar {
        case .text(let text): return with(text, body)
        case .number(let range): return body(bytes + range.lowerBound, range.count)
        case .boolean(let value):
            let literal: StaticString = value ? "true" : "false"
            return body(literal.utf8Start, literal.utf8CodeUnitCount)
        }
    }

    // MARK: Tokens

    @inline(__always)
    private mutating func skipSpace() {
        while index < count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index &+= 1
            default: return
            }
        }
    }

    /// Passes over `byte` when it is next.
    @inline(__always)
    private mutating func take(_ byte: UInt8) -> Bool {
        guard index < count, bytes[index] == byte else { return false }
        index &+= 1
        return true
    }

    /// Passes over `word` when it is next.
    private mutating func takeWord(_ word: StaticString) -> Bool {
        let length = word.utf8CodeUnitCount
        guard count - index >= length, memcmp(bytes + index, word.utf8Start, length) == 0 else { return false }
        index &+= length
        return true
    }

    /// The literal true or false at `index`.
    private mutating func readBoolean() -> Bool? {
        if takeWord("true") { return true }
        if takeWord("false") { return false }
        return nil
    }

    /// The number at `index`, where its text lies; nil when it is not a JSON number.
    private mutating func readNumber() -> Range<Int>? {
        let start = index
        _ = take(UInt8(ascii: "-"))
        let integer = index
        let digits = skipDigits()
        // No digits, or a leading zero before more digits.
        guard digits > 0, digits == 1 || bytes[integer] != UInt8(ascii: "0") else { return nil }
        if take(UInt8(ascii: ".")) {
            guard skipDigits() > 0 else { return nil }
        }
        if index < count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index &+= 1
            if !take(UInt8(ascii: "+")) { _ = take(UInt8(ascii: "-")) }
            guard skipDigits() > 0 else { return nil }
        }
        return start..<index
    }

    private mutating func skipDigits() -> Int {
        let start = index
        while index < count, bytes[index] &- 0x30 < 10 { index &+= 1 }
        return index - start
    }

    /// The string whose opening quote was just read; `index` moves past its closing quote. Nil
    /// when it is not closed on the line, holds a control byte, a bad escape or bytes that are not
    /// UTF-8. Strings are the only place a line may hold bytes past ASCII, so checking them is
    /// checking the line (for speed: the whole line was checked first, each of its bytes).
    private mutating func readString() -> Text? {
        let start = index
        var high: UInt64 = 0
        index = Self.specialByte(bytes, from: index, to: count, high: &high)
        guard index < count else { return nil }
        if bytes[index] == UInt8(ascii: "\"") {
            guard isUTF8(start, high) else { return nil }
            index &+= 1
            return .plain(start: start, count: index - 1 - start)
        }
        // An escape (or a control byte, which ends the line's reading): the rest is unescaped.
        unescaped.removeAll(keepingCapacity: true)
        var run = start
        while true {
            unescaped.append(contentsOf: UnsafeBufferPointer(start: bytes + run, count: index - run))
            guard index < count else { return nil }
            if bytes[index] == UInt8(ascii: "\"") {
                // Escapes are ASCII and give whole characters: the string's text is UTF-8 when
                // its bytes as written are.
                guard isUTF8(start, high) else { return nil }
                index &+= 1
                return .unescaped
            }
            guard bytes[index] == UInt8(ascii: "\\"), unescape() else { return nil }
            run = index
            index = Self.specialByte(bytes, from: index, to: count, high: &high)
        }
    }

    /// Whether the bytes from `start` to `index` are UTF-8, where `high` has the high bit of each
    /// of them (`specialByte`'s) set in some byte when any is past ASCII.
    @inline(__always)
    private func isUTF8(_ start: Int, _ high: UInt64) -> Bool {
        high & 0x8080_8080_8080_8080 == 0 || CSVScan.checkUTF8(bytes, from: start, to: index) == .valid
    }

    /// Reads the escape at `index` into `unescaped`; false for an escape JSON does not have.
    private mutating func unescape() -> Bool {
        guard index &+ 1 < count else { return false }
        let letter = bytes[index &+ 1]
        index &+= 2
        let byte: UInt8
        switch letter {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): byte = letter
        case UInt8(ascii: "b"): byte = 0x08
        case UInt8(ascii: "f"): byte = 0x0C
        case UInt8(ascii: "n"): byte = 0x0A
        case UInt8(ascii: "r"): byte = 0x0D
        case UInt8(ascii: "t"): byte = 0x09
        case UInt8(ascii: "u"):
            guard var scalar = readHex4() else { return false }
            if (0xD800...0xDBFF).contains(scalar) {
                // A high surrogate must be followed by an escaped low surrogate.
                guard count - index >= 2, bytes[index] == UInt8(ascii: "\\"), bytes[index &+ 1] == UInt8(ascii: "u") else { return false }
                index &+= 2
                guard let low = readHex4(), (0xDC00...0xDFFF).contains(low) else { return false }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            }
            guard let character = Unicode.Scalar(scalar) else { return false }
            unescaped.append(contentsOf: String(Character(character)).utf8)
            return true
        default:
            return false
        }
        unescaped.append(byte)
        return true
    }

    private mutating func readHex4() -> UInt32? {
        guard count - index >= 4 else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[index]
            let digit: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
            index &+= 1
        }
        return value
    }

    /// Calls `body` with the bytes of a string just read.
    @inline(__always)
    private func with<T>(_ text: Text, _ body: (UnsafePointer<UInt8>, Int) -> T) -> T {
        switch text {
        case .plain(let start, let length): return body(bytes + start, length)
        case .unescaped: return unescaped.withUnsafeBufferPointer { body($0.baseAddress ?? bytes, $0.count) }
        }
    }

    /// Whether `text` is field `i` of `cells`, byte for byte.
    private func isField(_ i: Int, of cells: CSVCells, _ text: Text) -> Bool {
        cells.withField(i) { field in
            with(text) { start, length in
                length == field.count && (length == 0 || field.baseAddress.map { memcmp($0, start, length) == 0 } == true)
            }
        }
    }

    /// The first index from `from` before `to` holding a quote, a backslash or a control byte
    /// (below 0x20), or `to`: eight bytes a step, with the "has a zero byte" trick of
    /// CSVScan.ByteFinder and its "has a byte below n" sibling. The bytes passed over are or-ed
    /// into `high` (so that a caller learns whether any is past ASCII).
    @inline(__always)
    static func specialByte(_ buffer: UnsafePointer<UInt8>, from: Int, to: Int, high: inout UInt64) -> Int {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let quotes = ones &* UInt64(UInt8(ascii: "\""))
        let backslashes = ones &* UInt64(UInt8(ascii: "\\"))
        let raw = UnsafeRawPointer(buffer)
        var index = from
        while index &+ 8 <= to {
            let word = UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index, as: UInt64.self))
            let xq = word ^ quotes
            let xb = word ^ backslashes
            // A byte below 0x20 sets its high bit in (word - 0x20…) & ~word; false positives only
            // lie above a true one, as with the zero-byte test.
            let hits = (((xq &- ones) & ~xq) | ((xb &- ones) & ~xb) | ((word &- ones &* 0x20) & ~word)) & highs
            if hits != 0 {
                let passed = hits.trailingZeroBitCount &>> 3
                // The bytes before the first hit, which is a true one.
                high |= word & ((1 &<< (UInt64(passed) &<< 3)) &- 1)
                return index &+ passed
            }
            high |= word
            index &+= 8
        }
        while index < to {
            let byte = buffer[index]
            if byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { return index }
            high |= UInt64(byte)
            index &+= 1
        }
        return to
    }
}

/// Where `FlatJSONLine.readCompact` puts a line's values: cells that copy them (CSVCells), or that
/// keep where they lie (LineCells).
protocol FlatJSONSink {
    /// Starts a line of `lineLength` bytes, with `fields` values.
    mutating func startRecord(expecting fields: Int, lineLength: Int)
    /// `reader.readValue(into:)`.
    static func readValue(_ reader: inout FlatJSONLine, into sink: inout Self) -> Bool
}

extension CSVCells: FlatJSONSink {
    mutating func startRecord(expecting fields: Int, lineLength: Int) {
        startRecord(expecting: fields)
    }

    @inline(__always)
    static func readValue(_ reader: inout FlatJSONLine, into sink: inout CSVCells) -> Bool {
        reader.readValue(into: &sink)
    }
}

extension LineCells: FlatJSONSink {
    @inline(__always)
    static func readValue(_ reader: inout FlatJSONLine, into sink: inout LineCells) -> Bool {
        reader.readValue(into: sink)
    }
}
