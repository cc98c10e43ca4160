/// The web console (ours): GET / and GET /ui serve its page, GET /ui/<file>
/// its scripts and style, all embedded in the plugin (Console/*.swift), so
/// the page works offline and wherever the plugin was loaded from. And GET
/// stream/snapshot, the JPEG of a stream's latest frame that the page shows.
///
/// The page and its files are the same for everyone and hold no secret: they
/// are served without the token (a browser cannot send one when it loads a
/// page); every API call the page makes sends it.
enum ConsoleRoutes {
    struct Asset: Sendable {
        var contentType: String
        var bytes: [UInt8]
    }

    /// Path (as the route table spells it) -> file.
    static let assets: [String: Asset] = {
        let page = Asset(contentType: "text/html; charset=utf-8", bytes: Array(ConsoleAssets.indexHTML.utf8))
        let js = "text/javascript; charset=utf-8"
        return [
            "/": page,
            "/ui": page,
            "/ui/console.js": Asset(contentType: js, bytes: Array(ConsoleAssets.consoleJS.utf8)),
            "/ui/api.js": Asset(contentType: js, bytes: Array(ConsoleAssets.apiJS.utf8)),
            "/ui/roi.js": Asset(contentType: js, bytes: Array(ConsoleAssets.roiJS.utf8)),
            "/ui/console.css": Asset(contentType: "text/css; charset=utf-8", bytes: Array(ConsoleAssets.consoleCSS.utf8)),
            "/ui/icon.svg": Asset(contentType: "image/svg+xml", bytes: Array(ConsoleAssets.iconSVG.utf8)),
        ]
    }()

    /// Served without the token (see above).
    static func isPublic(_ path: String) -> Bool { assets[path] != nil }

    /// The page runs only its own files: no inline script, nothing from
    /// another origin, no framing (clickjacking), no form posts elsewhere.
    /// Snapshots are shown as blob: URLs (fetched with the token).
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; connect-src 'self'; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    /// "CONSOLE_PAGE" for "/", "CONSOLE_UI_CONSOLE_JS" for "/ui/console.js":
    /// OpenAPI wants one operation id per path.
    static func operation(_ path: String) -> String {
        let name = path.dropFirst()
        guard !name.isEmpty else { return "CONSOLE_PAGE" }
        return "CONSOLE_" + String(name.uppercased().map { $0.isLetter || $0.isNumber ? $0 : "_" })
    }

    static let routes: [Route] = assets.keys.sorted().map { path in
        Route(.get, path, operation: operation(path)) { _ throws(ControlError) in
            guard let asset = assets[path] else { throw .notFound("no file \(path)") }
            var response = RestResponse(status: 200, body: .null, headers: [
                RestHeader(name: "Content-Security-Policy", value: contentSecurityPolicy),
                RestHeader(name: "X-Content-Type-Options", value: "nosniff"),
                RestHeader(name: "Referrer-Policy", value: "no-referrer"),
                RestHeader(name: "X-Frame-Options", value: "DENY"),
                // Embedded files change with the plugin: revalidate every load.
                RestHeader(name: "Cache-Control", value: "no-cache"),
            ])
            response.text = RestResponse.TextBody(contentType: asset.contentType, bytes: asset.bytes)
            return response
        }
    } + [snapshotRoute]

    static let snapshotParameters = ["stream_id", "width"]

    static let snapshotRoute = Route(.get, "/stream/snapshot", operation: "SNAPSHOT") { ctx throws(ControlError) in
        let request = try parseSnapshot(ctx.request.query ?? "", control: ctx.control)
        let snapshot = try ctx.control.snapshot(request)
        var response = RestResponse(status: 200, body: .null, headers: [
            RestHeader(name: "Cache-Control", value: "no-store"),
            RestHeader(name: "X-Content-Type-Options", value: "nosniff"),
            RestHeader(name: "X-Frame-Width", value: String(snapshot.frameWidth)),
            RestHeader(name: "X-Frame-Height", value: String(snapshot.frameHeight)),
        ])
        response.text = RestResponse.TextBody(contentType: "image/jpeg", bytes: snapshot.jpeg)
        return response
    }

    /// `stream_id=<source id or camera id>&width=<16-3840>`; every other
    /// parameter is refused by name, so a typo is not silently ignored.
    static func parseSnapshot(_ query: String, control: any StreamControl) throws(ControlError) -> SnapshotRequest {
        let parameters = try ElementRoutes.parseQuery(query)
        for key in parameters.keys.sorted() where !snapshotParameters.contains(key) {
            throw .badRequest(field: String(key.prefix(64)), detail: "unknown query parameter; known: stream_id, width")
        }
        guard let id = parameters["stream_id"] else { throw .badRequest(field: "stream_id", detail: "missing") }
        guard !id.isEmpty, id.utf8.count <= 256 else {
            throw .badRequest(field: "stream_id", detail: "must be 1 to 256 bytes, got \(id.utf8.count)")
        }
        guard let info = control.resolveStream(id) else {
            let shown = id.unicodeScalars.allSatisfy({ $0.value >= 32 && $0.value != 127 }) ? "\"\(id.prefix(64))\" " : ""
            throw .notFound("stream_id: no stream \(shown)(neither a source id nor a camera id)")
        }
        var width: Int?
        if let text = parameters["width"] {
            let range = SnapshotRequest.widthRange
            guard !text.isEmpty, text.utf8.count <= 5, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }),
                  let value = Int(text), range.contains(value) else {
                // Echoed only when printable: a reason must parse in every JSON reader.
                let shown = text.utf8.allSatisfy({ $0 >= 32 && $0 < 127 }) ? "\"\(text.prefix(32))\" " : ""
                throw .badRequest(field: "width", detail: "\(shown)is not an integer from \(range.lowerBound) to \(range.upperBound)")
            }
            width = value
        }
        return SnapshotRequest(sourceId: info.sourceId, width: width)
    }
}
