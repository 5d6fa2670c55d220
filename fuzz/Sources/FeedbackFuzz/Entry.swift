import Foundation
import FuzzerDriver

// One binary holds every target; FEEDBACK_FUZZ_TARGET names the one to run (scripts/fuzz.sh sets it).
// Its main hands the command line to libFuzzer, whose flags it takes (-max_total_time=…, corpus folders).
// A target returns normally for records and for clear errors alike, and stops the process (which
// libFuzzer reports as a crash, saving the input) for anything else.

/// The fuzz targets by name, as fuzz/README.md lists them.
let targets: [String: @Sendable (inout FuzzInput) -> Void] = [
    "csv": fuzzCSV,
    "json": fuzzJSONDocument,
    "jsonl": fuzzJSONLines,
    "xlsx": fuzzXLSX,
    "xls": fuzzXLS,
    "form": fuzzForm,
    "config": fuzzConfig,
    "page": fuzzPage,
]

nonisolated(unsafe) private var selected: (@Sendable (inout FuzzInput) -> Void)?

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafeRawPointer?, _ count: Int) -> CInt {
    if selected == nil {
        let name = ProcessInfo.processInfo.environment["FEEDBACK_FUZZ_TARGET"] ?? ""
        guard let target = targets[name] else {
            fatalError("set FEEDBACK_FUZZ_TARGET to one of \(targets.keys.sorted().joined(separator: ", "))")
        }
        selected = target
    }
    var input = FuzzInput(data, count)
    selected?(&input)
    return 0
}

@main
enum FuzzMain {
    static func main() {
        var argc = CommandLine.argc
        var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, count in fuzzOneInput(data, count) })
    }
}
