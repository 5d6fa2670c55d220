// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "feedback",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "feedback", targets: ["feedback"]),
        .library(name: "FeedbackKit", targets: ["FeedbackKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
    ],
    targets: [
        .executableTarget(
            name: "feedback",
            dependencies: [
                "FeedbackKit",
                "CurlHTTP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .target(
            name: "CurlHTTP",
            dependencies: ["CCurl"]
        ),
        // sqlite3_config, which is variadic, and the kernel's writeback of the store, for FeedbackKit's store (see its header).
        .target(
            name: "CSQLiteTuning",
            linkerSettings: [.linkedLibrary("sqlite3")]
        ),
        .target(
            name: "FeedbackKit",
            dependencies: [
                "CurlHTTP",
                "CSQLiteTuning",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            // Release builds leave out the run-time exclusivity checks, which were 3–4% of an
            // import's instructions (bench/README.md, twelfth round); debug builds, which the tests
            // run, keep them, and the compile-time checks apply to both.
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))],
            linkerSettings: [.linkedLibrary("iconv", .when(platforms: [.macOS]))]
        ),
        .testTarget(
            name: "FeedbackKitTests",
            dependencies: [
                "FeedbackKit", "CurlHTTP", "TestServers", .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            exclude: ["Fixtures"]
        ),
        // Test servers and a test CA, shared by the test targets; not part of any product.
        .target(
            name: "TestServers",
            path: "Tests/TestServers"
        ),
        .testTarget(
            name: "CurlHTTPTests",
            dependencies: ["CurlHTTP", "TestServers"],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "FeedbackEndToEndTests",
            dependencies: ["FeedbackKit", "CurlHTTP", "TestServers", .product(name: "GRDB", package: "GRDB.swift")],
            exclude: ["Fixtures", "Golden"]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// The fuzz targets (fuzz/README.md), declared only when scripts/fuzz.sh sets FEEDBACK_FUZZ: they are
// built with -sanitize=fuzzer and link libFuzzer's main, so ordinary builds must never see them.
if Context.environment["FEEDBACK_FUZZ"] != nil {
    package.targets += [
        .executableTarget(
            name: "FeedbackFuzz",
            dependencies: [
                "FeedbackKit", "CurlHTTP", "FuzzerDriver", .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            path: "fuzz/Sources/FeedbackFuzz"),
        .target(name: "FuzzerDriver", path: "fuzz/Sources/FuzzerDriver"),
    ]
}
