// swift-tools-version: 6.1
// The TLSKit benchmark (issue 6): a package of its own so that the library's build and tests never pay for it.
// Run it with `Benchmarks/run.sh` from the repository root.
import PackageDescription

let package = Package(
    name: "TLSKitBenchmarks",
    dependencies: [
        // With the opt-in trait, so the bulk rows can also run TLSKit on LibcryptoAEADProvider (chosen per row).
        .package(name: "TLSKit", path: "..", traits: ["SystemLibcryptoAEAD"]),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", exact: "2.37.6"),
        .package(url: "https://github.com/apple/swift-crypto.git", exact: "4.5.2"),
    ],
    targets: [
        // The system OpenSSL 3 (libssl-dev).
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]
        ),
        // C helpers: the OpenSSL memory-BIO driver (macros are not importable into Swift), the malloc counter
        // (interposes malloc & co. for the whole process) and heap statistics.
        .target(name: "CBenchSupport", dependencies: ["COpenSSL"]),
        .executableTarget(
            name: "tlskit-bench",
            dependencies: [
                "CBenchSupport",
                .product(name: "TLSKit", package: "TLSKit"),
                .product(name: "TLSKitNIO", package: "TLSKit"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ]
        ),
    ],
    swiftLanguageModes: [.v5]
)
