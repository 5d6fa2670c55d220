import Foundation

extension Importer {
    /// CSV and spreadsheets: the first row is the header, each later row a record.
    func openTabularSource(_ url: URL, display: String, format: String, options: ImportOptions) throws -> any RecordSource & HasHeader {
        throw ImportError(file: display, message: "\(format) files are not supported yet")
    }
}
