import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the rules that find the records in a JSON document need to know of a value: its kind, and
/// for an object its members. A parsed `JSONNode` (a fetched page) and a value skimmed in a file
/// (`SkimmedJSON`, an import) both answer, so one set of rules serves both.
protocol JSONOutline {
    var kindName: String { get }
    var isObject: Bool { get }
    var isArray: Bool { get }
    /// For an array: whether any element is an object.
    var holdsObjects: Bool { get }
    /// For an object: its keys in source order.
    func keys() throws -> [String]
    /// For an object: the value of its first member named `key`.
    func member(_ key: String) throws -> Self?
}

/// Where the records of a JSON document are: the elements of an array, or one object that is itself
/// the record.
enum RecordsLocation<Node: JSONOutline> {
    case elements(Node)
    case single(Node)

    /// Keys under which APIs and exports keep their records, tried in this order.
    static var recordKeys: [String] { ["results", "value", "data", "responses", "records", "submissions", "items", "rows"] }

    /// Finds the records: at `path` (dot-separated keys, from `--records` or a source's `records`) when
    /// given, else in a root array, or under one of the usual keys, or in the one array of objects.
    static func locate(_ root: Node, path: String?, file: String) throws -> RecordsLocation {
        if let path, !path.isEmpty {
            var node = root
            var walked = "$"
            for key in path.split(separator: ".").map(String.init) where key != "$" {
                walked += "." + key
                guard node.isObject, let next = try node.member(key) else {
                    throw ImportError(
                        file: file, message: "--records \(path): \(walked) does not exist", hint: "name the key that holds the records")
                }
                node = next
            }
            // An object named by the path is one record ("--records $" for a lone result).
            if node.isObject { return .single(node) }
            guard node.isArray else {
                throw ImportError(file: file, message: "--records \(path): \(walked) is \(node.kindName), not an array of records")
            }
            return .elements(node)
        }
        if root.isArray { return .elements(root) }
        guard root.isObject else {
            throw ImportError(file: file, message: "the JSON document is \(root.kindName), not an array of records")
        }
        for key in recordKeys {
            if let items = try root.member(key), items.isArray { return .elements(items) }
        }
        // Records are objects: an array of strings or numbers is an answer, not records.
        let keys = try root.keys()
        var arrays: [Node] = []
        for key in keys {
            if let value = try root.member(key), value.isArray, value.holdsObjects { arrays.append(value) }
        }
        if arrays.count == 1 { return .elements(arrays[0]) }
        // An object that wraps nothing under the usual keys is itself one record, as SurveyJS writes a
        // single result: {"question": answer, "matrix": {"row": value}, …}. One with an object under
        // such a key ({"data": {"items": […]}}) is a wrapper to be named.
        var wraps = false
        for key in recordKeys where try root.member(key)?.isObject == true { wraps = true }
        if !wraps { return .single(root) }
        throw ImportError(
            file: file, message: "the JSON object holds no array of records that could be found",
            hint: "pass --records KEY to say where the records are; its keys are \(keys.prefix(10).joined(separator: ", "))")
    }
}

extension JSONNode: JSONOutline {
    var isObject: Bool { members != nil }
    var isArray: Bool { elements != nil }
    var holdsObjects: Bool { elements?.contains { $0.members != nil } ?? false }
    func keys() -> [String] { members?.map(\.key) ?? [] }
    func member(_ key: String) -> JSONNode? { self[key] }
}

extension JSONDocumentSource {
    /// The records of a parsed document (a fetched page), by the same rules as a file's.
    static func locateRecords(_ root: JSONNode, path: String?, file: String) throws -> [JSONNode] {
        switch try RecordsLocation.locate(root, path: path, file: file) {
        case .elements(let array): return array.elements ?? []
        case .single(let object): return [object]
        }
    }
}

/// A JSON document holding an array of records, or an object holding one (`--records` says where),
/// read as a stream: the envelope is skimmed (strings, brackets and their nesting checked, nothing
/// kept), and each record is read whole and parsed on its own, so memory stays flat whatever the
/// size of the file. A record larger than `maxRecordBytes` is rejected without being held.
///
/// Every record is parsed in full; of the rest of the document (an API's `count`, `next`, …) the
/// skim checks that strings and brackets close, and values the rules look at are parsed.
struct JSONDocumentSource: RecordSource {
    let format = "json"
    /// The same cap as a JSON Lines line.
    static let maxRecordBytes = JSONLinesSource.maxLineBytes

    private let reader: JSONFileReader
    private let file: String
    private enum State {
        /// Inside the records array: `first` until its first element was read.
        case elements(first: Bool)
        case single(SkimmedJSON)
        case done
    }
    private var state: State
    private var index = 0

    /// `chunkSize`: how much is read at a time (tests make it tiny to put chunk edges everywhere).
    init(url: URL, displayPath: String, recordsPath: String?, chunkSize: Int = 1 << 20) throws {
        file = displayPath
        reader = try JSONFileReader(url: url, file: displayPath, chunkSize: chunkSize)
        let root = try reader.skimDocument()
        switch try RecordsLocation.locate(root, path: recordsPath, file: displayPath) {
        case .elements(let array):
            try reader.seek(to: array.offset + 1)  // just past its '['
            state = .elements(first: true)
        case .single(let object):
            state = .single(object)
        }
    }

    mutating func next() throws -> SourceItem? {
        switch state {
        case .done:
            return nil
        case .single(let object):
            state = .done
            index = 1
            return try item(start: object.offset) { reader in try reader.readValue(limit: Self.maxRecordBytes, depth: 0) }
        case .elements(let first):
            try reader.skipWhitespace()
            guard let byte = try reader.peek() else { throw reader.syntaxError("expected ',' or ']' but found the end of the file (an array is not closed)") }
            if byte == UInt8(ascii: "]") {
                state = .done
                return nil
            }
            if !first {
                guard byte == UInt8(ascii: ",") else {
                    let hint = byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "{") ? " (is a comma missing before it?)" : ""
                    throw reader.syntaxError("expected ',' or ']' after an array element but found \(reader.describe(byte))\(hint)")
                }
                reader.advance()
                try reader.skipWhitespace()
                if try reader.peek() == UInt8(ascii: "]") { throw reader.syntaxError("trailing comma before ']'") }
            }
            state = .elements(first: false)
            index += 1
            let start = reader.offset
            return try item(start: start) { reader in try reader.readValue(limit: Self.maxRecordBytes, depth: 1) }
        }
    }

    /// Reads the value at `start` and makes it a record, or an unreadable item when it is not an object
    /// or too large; a syntax error in it is an error of the whole document, at its line and column.
    private func item(start: Int, read: (JSONFileReader) throws -> [UInt8]?) throws -> SourceItem {
        try reader.seek(to: start)
        guard let bytes = try read(reader) else {
            return .unreadable(
                position: index, raw: "", message: "record \(index) is larger than \(Self.maxRecordBytes >> 20) MiB")
        }
        let node: JSONNode
        do {
            node = try JSONParser.parse(bytes)
        } catch {
            throw reader.syntaxError(error.message, at: start + error.offset)
        }
        guard node.members != nil else {
            return .unreadable(position: index, raw: node.serialized, message: "record \(index) is \(node.kindName), not an object")
        }
        let (names, values) = node.flattened()
        return .record(SourceRecord(position: index, names: names, values: values, raw: .json(node.serialized)))
    }
}

/// A value of a JSON file as the skim saw it: where it starts, its kind, and for an object its members,
/// each skimmed in turn when first asked for.
struct SkimmedJSON: JSONOutline {
    enum Kind { case object, array, string, number, literal }

    let reader: JSONFileReader
    let offset: Int
    let kind: Kind
    let holdsObjects: Bool
    /// The first byte of a literal (t, f, n), for its name.
    let first: UInt8

    var isObject: Bool { kind == .object }
    var isArray: Bool { kind == .array }

    var kindName: String {
        switch kind {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .number: "a number"
        case .literal: first == UInt8(ascii: "n") ? "null" : "a boolean"
        }
    }

    func keys() throws -> [String] {
        try reader.members(of: self).map(\.key)
    }

    func member(_ key: String) throws -> SkimmedJSON? {
        try reader.members(of: self).first { $0.key == key }?.value
    }
}

/// Reads a JSON file in chunks for `JSONDocumentSource`: skims values (checking strings and brackets,
/// keeping nothing), reads one value whole up to a limit, and names the line and column of a byte
/// offset when there is an error. A class, as the skimmed values share it.
final class JSONFileReader {
    private let input: FileByteSource
    let file: String
    private var buffer: [UInt8] = []
    /// The file offset of `buffer[0]`.
    private var bufferStart = 0
    private var position = 0
    private var eof = false
    private var membersCache: [Int: [(key: String, value: SkimmedJSON)]] = [:]
    /// While a value is read whole: the offset it starts at and the most it may hold. Filling keeps
    /// the buffer from there on instead of replacing it, until the value passes the limit.
    private var keep: (from: Int, limit: Int)?
    private let chunkSize: Int

    init(url: URL, file: String, chunkSize: Int) throws {
        self.file = file
        self.chunkSize = max(1, chunkSize)
        input = try FileByteSource(path: url.path, file: file, chunkSize: self.chunkSize)
    }

    var offset: Int { bufferStart + position }

    /// The byte at the current offset, reading on as needed; nil at the end of the file.
    func peek() throws -> UInt8? {
        if position < buffer.count { return buffer[position] }
        return try fill() ? buffer[position] : nil
    }

    func advance() { position += 1 }

    /// Reads the next chunk; false at the end of the file.
    private func fill() throws -> Bool {
        if eof { return false }
        var data: [UInt8] = []
        guard try input.append(to: &data) > 0 else {
            eof = true
            return false
        }
        if let keep, keep.from >= bufferStart, bufferStart + buffer.count - keep.from + data.count <= keep.limit {
            let dropped = keep.from - bufferStart
            buffer.removeFirst(dropped)
            bufferStart += dropped
            position -= dropped
            buffer.append(contentsOf: data)
        } else {
            keep = nil
            bufferStart += buffer.count
            position -= buffer.count
            buffer = data
        }
        return position < buffer.count
    }

    func seek(to target: Int) throws {
        if target >= bufferStart && target <= bufferStart + buffer.count {
            position = target - bufferStart
            return
        }
        try input.seek(to: target)
        buffer = []
        bufferStart = target
        position = 0
        eof = false
    }

    func skipWhitespace() throws {
        while let byte = try peek(), byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
    }

    /// Skims the whole document: a byte-order mark, one value, nothing after it. The file being empty,
    /// or holding only white space, is an error.
    func skimDocument() throws -> SkimmedJSON {
        if try peek() == nil { throw ImportError(file: file, message: "the file is empty") }
        if try peek() == 0xEF {
            for byte: UInt8 in [0xEF, 0xBB, 0xBF] {
                guard try peek() == byte else { break }
                advance()
            }
        }
        try skipWhitespace()
        if try peek() == nil { throw syntaxError("the document is empty") }
        let root = try skim(depth: 0)
        try skipWhitespace()
        if try peek() != nil { throw syntaxError("unexpected text after the end of the document") }
        return root
    }

    /// Skims the value at the current offset, inside `depth` open brackets, and leaves the offset just
    /// past it. Scalars are read and parsed, so that a broken number or literal is named where it is.
    func skim(depth: Int) throws -> SkimmedJSON {
        let start = offset
        guard let first = try peek() else { throw syntaxError("expected a value but found the end of the file") }
        switch first {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let holdsObjects = try skipContainer(depth: depth)
            return SkimmedJSON(reader: self, offset: start, kind: first == UInt8(ascii: "{") ? .object : .array, holdsObjects: holdsObjects, first: first)
        case UInt8(ascii: "\""):
            try skipString()
            return SkimmedJSON(reader: self, offset: start, kind: .string, holdsObjects: false, first: first)
        default:
            // A number or literal: up to the next delimiter, then parsed on its own.
            var bytes: [UInt8] = []
            while let byte = try peek(), !Self.isDelimiter(byte), bytes.count < 1024 {
                bytes.append(byte)
                advance()
            }
            do {
                let node = try JSONParser.parse(bytes)
                return SkimmedJSON(reader: self, offset: start, kind: node.isString ? .string : (node.isNumber ? .number : .literal), holdsObjects: false, first: first)
            } catch {
                throw syntaxError(error.message, at: start + min(error.offset, bytes.count))
            }
        }
    }

    private static func isDelimiter(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x20, 0x0A, 0x0D, 0x09, UInt8(ascii: ","), UInt8(ascii: "]"), UInt8(ascii: "}"), UInt8(ascii: ":"): true
        default: false
        }
    }

    /// Skips a string whose opening quote is at the current offset. The closing quote is the first one
    /// after an even number of backslashes in a row (none, or escaped backslashes); memchr finds each
    /// candidate, so that a long text is stepped over at memory speed.
    private func skipString() throws {
        let start = offset
        advance()
        var backslashes = 0  // in a row just before `position`, carried across chunks
        while true {
            if position >= buffer.count {
                guard try fill() else { throw syntaxError("a string is not closed (missing '\"')", at: start) }
            }
            let from = position
            let quote: Int? = buffer.withUnsafeBufferPointer { p in
                guard let base = p.baseAddress, let hit = memchr(base + from, 0x22, p.count - from) else { return nil }
                return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            }
            let end = quote ?? buffer.count
            // Backslashes in a row before `end`, counting those carried over when none interrupt them.
            var run = 0
            var i = end - 1
            while i >= from && buffer[i] == 0x5C {
                run += 1
                i -= 1
            }
            if i < from { run += backslashes }
            guard let quote else {
                backslashes = run
                position = buffer.count
                continue
            }
            position = quote + 1
            if run % 2 == 0 { return }
            backslashes = 0
        }
    }

    /// Skips an object or array at the current offset, checking that every bracket is closed by its
    /// own kind and that nesting stays within `JSONParser.maxDepth`. Returns whether an array holds
    /// objects among its elements.
    private func skipContainer(depth: Int) throws -> Bool {
        var open: [UInt8] = []
        var holdsObjects = false
        repeat {
            guard let byte = try peek() else {
                let kind = open.last == UInt8(ascii: "{") ? "'}' but found the end of the file (an object" : "']' but found the end of the file (an array"
                throw syntaxError("expected ',' or \(kind) is not closed)")
            }
            switch byte {
            case UInt8(ascii: "\""):
                try skipString()
                continue
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                if byte == UInt8(ascii: "{") && open == [UInt8(ascii: "[")] { holdsObjects = true }
                open.append(byte)
                if depth + open.count > JSONParser.maxDepth { throw syntaxError("nested deeper than \(JSONParser.maxDepth) levels") }
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                let expected = open.last == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
                guard byte == expected else {
                    throw syntaxError("expected ',' or '\(Character(Unicode.Scalar(expected)))' but found '\(Character(Unicode.Scalar(byte)))'")
                }
                open.removeLast()
            default:
                break
            }
            advance()
        } while !open.isEmpty
        return holdsObjects
    }

    /// Reads the value at the current offset whole: its bytes, or nil when it is larger than `limit`
    /// (then skipped to its end without being kept).
    func readValue(limit: Int, depth: Int) throws -> [UInt8]? {
        let start = offset
        keep = (start, limit)
        defer { keep = nil }
        _ = try skim(depth: depth)
        guard keep != nil, offset - start <= limit, start >= bufferStart else { return nil }
        return Array(buffer[(start - bufferStart)..<position])
    }

    /// The members of a skimmed object, skimmed in turn (and remembered).
    func members(of object: SkimmedJSON) throws -> [(key: String, value: SkimmedJSON)] {
        if let cached = membersCache[object.offset] { return cached }
        let back = offset
        defer { try? seek(to: back) }
        try seek(to: object.offset + 1)
        var members: [(key: String, value: SkimmedJSON)] = []
        try skipWhitespace()
        if try peek() == UInt8(ascii: "}") {
            membersCache[object.offset] = members
            return members
        }
        while true {
            try skipWhitespace()
            guard let quote = try peek(), quote == UInt8(ascii: "\"") else {
                throw syntaxError("expected a quoted key but found \(describe(try peek()))")
            }
            guard let keyBytes = try readValue(limit: 1 << 16, depth: 0), case .string(let key) = try parseKey(keyBytes) else {
                throw syntaxError("a key is longer than 64 KiB")
            }
            try skipWhitespace()
            guard try peek() == UInt8(ascii: ":") else {
                throw syntaxError("expected ':' after the key \"\(key)\" but found \(describe(try peek()))")
            }
            advance()
            try skipWhitespace()
            members.append((key, try skim(depth: 1)))
            try skipWhitespace()
            guard let byte = try peek() else { throw syntaxError("expected ',' or '}' but found the end of the file (an object is not closed)") }
            advance()
            if byte == UInt8(ascii: "}") { break }
            guard byte == UInt8(ascii: ",") else {
                position -= 1
                throw syntaxError("expected ',' or '}' after an object member but found \(describe(byte))")
            }
        }
        membersCache[object.offset] = members
        return members
    }

    private func parseKey(_ bytes: [UInt8]) throws -> JSONNode.Value {
        do {
            return try JSONParser.parse(bytes).value
        } catch {
            throw syntaxError(error.message, at: offset - bytes.count + error.offset)
        }
    }

    func describe(_ byte: UInt8?) -> String { JSONParser.describe(byte) }

    /// An error at a byte offset (the current one by default), with its line and column, worded as a
    /// parse of the whole document words it.
    func syntaxError(_ message: String, at errorOffset: Int? = nil) -> ImportError {
        let position = (try? textPosition(of: errorOffset ?? offset)) ?? TextPosition(line: 1, column: 1)
        return ImportError(file: file, line: position.line, message: "not valid JSON at column \(position.column): \(message)")
    }

    /// Line and column of a byte offset, counted by reading the file from its start (only for errors).
    private func textPosition(of target: Int) throws -> TextPosition {
        try seek(to: 0)
        var line = 1
        var column = 1
        while offset < target, let byte = try peek() {
            if byte == 0x0A {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
            advance()
        }
        return TextPosition(line: line, column: column)
    }
}

extension JSONNode {
    var isString: Bool { stringValue != nil }
    var isNumber: Bool {
        if case .number = value { return true }
        return false
    }
}
