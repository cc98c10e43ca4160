// swift-tools-version:6.0
import PackageDescription

// Debian's multiarch triplet: GLib keeps glibconfig.h under /usr/lib/<triplet>.
#if arch(arm64)
let multiarch = "aarch64-linux-gnu"
#else
let multiarch = "x86_64-linux-gnu"
#endif

/// The include folders pkg-config names for gstreamer-1.0 and friends. They are
/// spelled out rather than read through `pkgConfig:` because GLib's .pc files
/// carry `-pthread`, which SwiftPM rejects with a warning on every build.
let includeDirs = [
    "/usr/include/gstreamer-1.0",
    "/usr/include/glib-2.0",
    "/usr/lib/\(multiarch)/glib-2.0/include",
]
let cIncludes: [CSetting] = [.unsafeFlags(includeDirs.map { "-I\($0)" })]
let swiftIncludes: [SwiftSetting] = [.unsafeFlags(includeDirs.flatMap { ["-Xcc", "-I\($0)"] })]

/// One system-library target per Debian -dev package (module map + link
/// lines), under Sources/GstSwiftBridge next to the C glue.
func systemLibrary(_ name: String) -> Target {
    .systemLibrary(
        name: name,
        path: "Sources/GstSwiftBridge/\(name)",
        providers: [.apt(["libgstreamer1.0-dev", "libgstreamer-plugins-base1.0-dev",
                          "libgstrtspserver-1.0-dev", "libjansson-dev", "libcivetweb-dev"])]
    )
}

let package = Package(
    name: "swift-multiurisrc",
    products: [
        // GStreamer finds the plugin by file name: libgstswiftmultiurisrc.so.
        .library(name: "gstswiftmultiurisrc", type: .dynamic, targets: ["swiftmultiurisrc"]),
        // The C API of the custom events (DeepStream's gst_nvevent_* names) for
        // C elements: header and .pc file under Sources/swiftcustomevents/c-api.
        .library(name: "swiftcustomevents", type: .dynamic, targets: ["swiftcustomevents"]),
        // What lets civetweb's TLS start on OpenSSL 3 (tls-certificate): a
        // "libssl.so" the plugin loads by path. Not a plugin: never under a
        // GStreamer plugin folder by this name (README, HTTPS).
        .library(name: "swiftmultiurisrc-tls", type: .dynamic, targets: ["swiftmultiurisrc-tls"]),
        // DeepStream application config files in, a running pipeline out
        // (README: Running DeepStream config files). Loads the plugin through
        // the registry, so it links none of the plugin's Swift code.
        .executable(name: "swift-multiurisrc-app", targets: ["swift-multiurisrc-app"]),
    ],
    targets: [
        systemLibrary("CGStreamer"),
        systemLibrary("CGstBase"),
        systemLibrary("CGstVideo"),
        systemLibrary("CGstApp"),
        systemLibrary("CGstRtspServer"),
        systemLibrary("CJansson"),
        systemLibrary("CCivetweb"),
        // libyaml (libyaml-dev) for the app's YAML config files.
        .systemLibrary(name: "CYaml", path: "Sources/GstSwiftBridge/CYaml", providers: [.apt(["libyaml-dev"])]),
        .target(
            name: "GstSwiftBridge",
            dependencies: ["CGStreamer", "CGstBase", "CGstVideo", "CGstApp",
                           "CGstRtspServer", "CJansson", "CCivetweb"],
            path: "Sources/GstSwiftBridge/glue",
            cSettings: cIncludes,
            // The C glue calls into every library; Swift's autolinking only
            // covers modules that Swift code imports, so name them all here.
            linkerSettings: [
                "gstreamer-1.0", "gobject-2.0", "glib-2.0", "gstbase-1.0", "gstvideo-1.0",
                "gstapp-1.0", "gstrtspserver-1.0", "gstrtsp-1.0", "gstsdp-1.0", "gstnet-1.0",
                "jansson", "civetweb",
            ].map { .linkedLibrary($0) }
        ),
        .target(
            name: "swiftmultiurisrc-tls",
            path: "Sources/swiftmultiurisrc-tls",
            // The SONAME is what glibc matches civetweb's dlopen("libssl.so")
            // against; the last -soname wins over SwiftPM's own.
            linkerSettings: [
                .linkedLibrary("ssl"), .linkedLibrary("crypto"),
                .unsafeFlags(["-Xlinker", "-soname=libssl.so"]),
            ]
        ),
        .target(
            name: "swiftcustomevents",
            dependencies: ["GstSwiftBridge"],
            path: "Sources/swiftcustomevents",
            exclude: ["c-api"],
            swiftSettings: swiftIncludes
        ),
        .target(
            name: "swiftmultiurisrc",
            dependencies: ["GstSwiftBridge", "swiftcustomevents"],
            path: "Sources/swiftmultiurisrc",
            swiftSettings: swiftIncludes
        ),
        .executableTarget(
            name: "swift-multiurisrc-app",
            dependencies: ["GstSwiftBridge", "CYaml"],
            path: "Sources/swift-multiurisrc-app",
            swiftSettings: swiftIncludes
        ),
        // Add/remove cycles in a process of their own (leak check, benchmark).
        .executableTarget(
            name: "swiftmultiurisrc-soak",
            dependencies: ["swiftmultiurisrc", "GstSwiftBridge"],
            path: "Tests/Tools/soak",
            swiftSettings: swiftIncludes
        ),
        // The benchmark command (README: scripts/benchmark.sh), not part of the tests.
        .executableTarget(
            name: "swiftmultiurisrc-bench",
            dependencies: ["swiftmultiurisrc", "swiftcustomevents", "GstSwiftBridge"],
            path: "Tests/Tools/bench",
            swiftSettings: swiftIncludes
        ),
        // Bounded child processes for both test targets.
        .target(
            name: "ChildProcess",
            path: "Tests/Support/ChildProcess"
        ),
        .testTarget(
            name: "swiftmultiurisrcTests",
            dependencies: ["swiftmultiurisrc", "swiftcustomevents", "GstSwiftBridge", "swiftmultiurisrc-soak", "ChildProcess",
                           "swift-multiurisrc-app"],
            path: "Tests/swiftmultiurisrcTests",
            swiftSettings: swiftIncludes
        ),
        .testTarget(
            name: "swiftcustomeventsTests",
            dependencies: ["swiftcustomevents", "GstSwiftBridge", "ChildProcess"],
            path: "Tests/swiftcustomeventsTests",
            swiftSettings: swiftIncludes
        ),
    ],
    swiftLanguageModes: [.v6]
)
