import Foundation

/// Writes rejected records whole and unchanged, each beside its position, column and reason.
///
/// The reason columns come after the header's columns, so that after fixing the rows a user can
/// import the rejects file itself: the extra columns map onto no question and are ignored.
final class RejectsWriter {
    let url: URL
    private let header: [String]
    private let positionName: String
    private var handle: FileHandle?
    private(set) var count = 0

    init(url: URL, header: [String], positionName: String) {
        self.url = url
        self.header = header
        self.positionName = positionName
    }

    func write(cells: [String], position: Int, problems: [RecordProblem]) throws {
        if handle == nil { try open() }
        var row = CSVWriter(escapesFormulas: false, byteOrderMark: false)
        let columns = problems.map(\.column).filter { !$0.isEmpty }
        let reason = [String(position), columns.joined(separator: "; "), problems.map(\.message).joined(separator: "; ")]
        // The reason columns stay under their names whatever the row's length: a short row is padded
        // with empty cells, and the cells of a long row past the header's width come after them.
        let padding = Array(repeating: "", count: max(0, header.count - cells.count))
        row.append(cells.prefix(header.count) + padding + reason.map(Terminal.visible) + cells.dropFirst(header.count))
        handle?.write(row.data)
        count += 1
    }

    private func open() throws {
        var head = CSVWriter(escapesFormulas: false)
        head.append(header + ["_reject_\(positionName)", "_reject_column", "_reject_reason"])
        do {
            // Rejected records are personal data as they were read: the file is the owner's alone.
            try? FileManager.default.removeItem(at: url)
            guard FileManager.default.createFile(atPath: url.path, contents: head.data, attributes: [.posixPermissions: 0o600]) else {
                throw CocoaError(.fileWriteNoPermission)
            }
            handle = try FileHandle(forWritingTo: url)
            handle?.seekToEndOfFile()
        } catch {
            throw ImportError(
                file: url.path, message: "cannot write the rejects file: \(FormDecoder.reason(error))",
                hint: "choose another place with --rejects")
        }
    }

    func close() {
        try? handle?.close()
        handle = nil
    }
}
