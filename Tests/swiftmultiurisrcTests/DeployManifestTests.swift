import ChildProcess
import Foundation
import Testing
@testable import swiftmultiurisrc

/// deploy/kubernetes/ against the element it deploys: the probes ask routes that exist and
/// answer 503 for NO, the probe, Service, scrape and ConfigMap ports are one port, the
/// container can write where GStreamer writes on a read-only root, and the pod's grace
/// period covers the entrypoint's own stop bound. kubernetes-validate (run-tests.sh) knows
/// the schema but none of this.
///
/// The YAML is read by PyYAML of the test venv (SWIFT_MULTIURISRC_PYTHON, given by
/// run-tests.sh). Each check has a broken copy of the text that it must catch.
@Suite struct DeployManifestTests {
    static let deployDir = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()   // swiftmultiurisrcTests
        .deletingLastPathComponent()   // Tests
        .deletingLastPathComponent()
        .appendingPathComponent("deploy/kubernetes")

    enum File: Sendable { case deployment, service, configMap }

    struct Texts {
        var deployment: String
        var service: String
        var configMap: String

        subscript(_ file: File) -> String {
            get {
                switch file {
                case .deployment: deployment
                case .service: service
                case .configMap: configMap
                }
            }
            set {
                switch file {
                case .deployment: deployment = newValue
                case .service: service = newValue
                case .configMap: configMap = newValue
                }
            }
        }
    }

    static func load() throws -> Texts {
        func read(_ name: String) throws -> String {
            try String(contentsOf: deployDir.appendingPathComponent(name), encoding: .utf8)
        }
        return Texts(deployment: try read("deployment.yaml"), service: try read("service.yaml"),
                     configMap: try read("configmap.yaml"))
    }

    /// One YAML document as JSON objects, through PyYAML (safe_load: plain data only).
    static func parse(_ yaml: String) throws -> [String: Any] {
        let python = try #require(ProcessInfo.processInfo.environment["SWIFT_MULTIURISRC_PYTHON"],
                                  "SWIFT_MULTIURISRC_PYTHON is not set: run through scripts/run-tests.sh, or set it to $(bash scripts/test-venv.sh)")
        let file = FileManager.default.temporaryDirectory
            .appendingPathComponent("swiftmultiurisrc-deploy-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let out = try ChildProcess.run(python, ["-c", "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))", file.path],
                                       timeoutSeconds: 60)
        try #require(out.status == 0 && !out.timedOut, "PyYAML: \(out.stderr)")
        let object = try JSONSerialization.jsonObject(with: Data(out.stdout.utf8))
        return try #require(object as? [String: Any], "not a mapping: \(out.stdout.prefix(200))")
    }

    /// Every way the manifests disagree with the element or with each other, in words.
    static func problems(_ texts: Texts) throws -> [String] {
        let deployment = try parse(texts.deployment)
        let service = try parse(texts.service)
        let configMap = try parse(texts.configMap)
        var problems: [String] = []

        func dict(_ value: Any?) -> [String: Any] { value as? [String: Any] ?? [:] }
        func list(_ value: Any?) -> [[String: Any]] { value as? [[String: Any]] ?? [] }
        /// A route path without the /api/v1 prefix (every route answers under both).
        func route(_ path: String) -> Route? {
            BuiltInRoutes.byPath[path.hasPrefix("/api/v1/") ? String(path.dropFirst("/api/v1".count)) : path]
        }

        let template = dict(dict(deployment["spec"])["template"])
        let podSpec = dict(template["spec"])
        let podLabels = dict(dict(template["metadata"])["labels"]) as? [String: String] ?? [:]
        let annotations = dict(dict(template["metadata"])["annotations"])
        let containers = list(podSpec["containers"])
        guard let container = containers.first(where: { $0["name"] as? String == "swift-multiurisrc" }) else {
            return ["no container named swift-multiurisrc"]
        }
        let data = dict(configMap["data"]) as? [String: String] ?? [:]

        // One port everywhere: the container's "rest", the ConfigMap's REST_PORT (what the
        // element binds), the probes, the Service and the scrape annotation.
        guard let restPort = list(container["ports"]).first(where: { $0["name"] as? String == "rest" }),
              let port = restPort["containerPort"] as? Int else {
            return problems + ["the container has no port named rest"]
        }
        if data["REST_PORT"] != String(port) {
            problems.append("ConfigMap REST_PORT \(data["REST_PORT"] ?? "missing") is not the container port \(port)")
        }
        if data["REST_ADDRESS"] != "0.0.0.0" {
            problems.append("ConfigMap REST_ADDRESS \(data["REST_ADDRESS"] ?? "missing"): the kubelet and Prometheus connect to the pod IP, so 0.0.0.0")
        }
        func samePort(_ value: Any?) -> Bool { value as? String == "rest" || value as? Int == port }

        // Each probe on its route: GET, and a NO must be 503 (keepsStatusLine), since the
        // kubelet reads the status line only; a route answering 200 always never fails a probe.
        for (probe, expected) in [("startupProbe", "/startup"), ("readinessProbe", "/ready"), ("livenessProbe", "/live")] {
            guard let get = dict(container[probe])["httpGet"] as? [String: Any] else {
                problems.append("\(probe): no httpGet")
                continue
            }
            let path = get["path"] as? String ?? ""
            if let served = route(path) {
                if served.method != .get || !served.keepsStatusLine {
                    problems.append("\(probe) \(path): served, but not a probe route answering 503 for NO")
                }
                if served.path != expected { problems.append("\(probe) \(path): expected \(expected)") }
            } else {
                problems.append("\(probe) \(path): no such route")
            }
            if !samePort(get["port"]) { problems.append("\(probe): port \(get["port"] ?? "missing") is not rest (\(port))") }
        }

        if annotations["prometheus.io/scrape"] as? String != "true" { problems.append("prometheus.io/scrape is not \"true\"") }
        if annotations["prometheus.io/port"] as? String != String(port) {
            problems.append("prometheus.io/port \(annotations["prometheus.io/port"] ?? "missing") is not \(port)")
        }
        let scrapePath = annotations["prometheus.io/path"] as? String ?? ""
        if route(scrapePath)?.method != .get { problems.append("scrape path \(scrapePath): no GET route") }

        let serviceSpec = dict(service["spec"])
        let servicePorts = list(serviceSpec["ports"])
        if servicePorts.isEmpty || !servicePorts.allSatisfy({ samePort($0["targetPort"]) }) {
            problems.append("Service targetPort is not rest (\(port))")
        }
        let selector = dict(serviceSpec["selector"]) as? [String: String] ?? [:]
        if selector.isEmpty || !selector.allSatisfy({ podLabels[$0.key] == $0.value }) {
            problems.append("Service selector \(selector) does not select the pods \(podLabels)")
        }
        // Headless: the orchestrator must reach each instance, not a load-balanced one.
        if serviceSpec["clusterIP"] as? String != "None" { problems.append("Service is not headless (clusterIP: None)") }

        let configMapName = dict(configMap["metadata"])["name"] as? String
        if !list(container["envFrom"]).contains(where: { dict($0["configMapRef"])["name"] as? String == configMapName }) {
            problems.append("the container does not take its environment from ConfigMap \(configMapName ?? "?")")
        }

        let podSecurity = dict(podSpec["securityContext"])
        let security = dict(container["securityContext"])
        if podSecurity["runAsNonRoot"] as? Bool != true && security["runAsNonRoot"] as? Bool != true {
            problems.append("runAsNonRoot is not true")
        }
        if security["readOnlyRootFilesystem"] as? Bool != true { problems.append("readOnlyRootFilesystem is not true") }
        if security["allowPrivilegeEscalation"] as? Bool != false { problems.append("allowPrivilegeEscalation is not false") }

        // On a read-only root, GStreamer's registry, HOME and /tmp must be emptyDir mounts.
        let emptyDirs = Set(list(podSpec["volumes"]).filter { $0["emptyDir"] != nil }.compactMap { $0["name"] as? String })
        let writable = list(container["volumeMounts"]).filter { emptyDirs.contains($0["name"] as? String ?? "") }
            .compactMap { $0["mountPath"] as? String }
        func isWritable(_ path: String) -> Bool {
            writable.contains { path == $0 || path.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }
        }
        var env: [String: String] = [:]
        for entry in list(container["env"]) {
            if let name = entry["name"] as? String, let value = entry["value"] as? String { env[name] = value }
        }
        if !isWritable("/tmp/x") { problems.append("/tmp is not an emptyDir mount") }
        for name in ["GST_REGISTRY", "HOME"] {
            guard let value = env[name] else {
                problems.append("\(name) is not set")
                continue
            }
            let folder = name == "HOME" ? value + "/x" : value
            if !isWritable(folder) { problems.append("\(name)=\(value) is not inside an emptyDir mount") }
        }

        // Kubernetes' default grace period is 30 s.
        let grace = podSpec["terminationGracePeriodSeconds"] as? Int ?? 30
        if !(Int(data["STOP_GRACE_SECONDS"] ?? "").map { $0 < grace } ?? false) {
            problems.append("terminationGracePeriodSeconds \(grace) does not exceed STOP_GRACE_SECONDS \(data["STOP_GRACE_SECONDS"] ?? "missing")")
        }
        return problems
    }

    @Test func manifestsMatchTheElement() throws {
        let found = try Self.problems(try Self.load())
        let scrape = found.filter { $0.hasPrefix("scrape path") }
        #expect(found.filter { !$0.hasPrefix("scrape path") }.isEmpty, "\(found)")
        // GET /api/v1/metrics is added by another branch of issue 12; until it is merged the
        // check must see the scrape path unserved (a known issue that has to occur), and after
        // that it must pass.
        withKnownIssue("GET /api/v1/metrics is not on this branch yet") {
            #expect(scrape.isEmpty, "\(scrape)")
        } when: {
            BuiltInRoutes.byPath["/metrics"] == nil
        }
    }

    /// (file, text, replacement, what the problem must mention): each broken copy must be caught.
    static let mutations: [(File, String, String, String)] = [
        (.deployment, "path: /live\n", "path: /livez\n", "livenessProbe /livez: no such route"),
        (.deployment, "path: /startup\n", "path: /version\n", "not a probe route"),
        (.deployment, "path: /ready\n", "path: /live\n", "readinessProbe /live: expected /ready"),
        (.deployment, "port: rest\n", "port: 9001\n", "port 9001 is not rest"),
        (.deployment, "prometheus.io/path: /api/v1/metrics", "prometheus.io/path: /api/v1/metricz", "scrape path /api/v1/metricz"),
        (.deployment, "prometheus.io/port: \"9000\"", "prometheus.io/port: \"9001\"", "prometheus.io/port 9001"),
        (.deployment, "containerPort: 9000", "containerPort: 9001", "REST_PORT 9000 is not the container port 9001"),
        (.deployment, "readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false", "readOnlyRootFilesystem"),
        (.deployment, "runAsNonRoot: true", "runAsNonRoot: false", "runAsNonRoot"),
        (.deployment, "value: /var/cache/gstreamer/registry.bin", "value: /var/lib/gstreamer/registry.bin", "GST_REGISTRY"),
        (.deployment, "mountPath: /tmp", "mountPath: /scratch", "/tmp is not"),
        (.deployment, "terminationGracePeriodSeconds: 30", "terminationGracePeriodSeconds: 20", "terminationGracePeriodSeconds 20"),
        (.deployment, "name: swift-multiurisrc\n          image:", "name: other\n          image:", "no container named"),
        (.configMap, "REST_PORT: \"9000\"", "REST_PORT: \"9001\"", "REST_PORT 9001"),
        (.configMap, "REST_ADDRESS: \"0.0.0.0\"", "REST_ADDRESS: \"127.0.0.1\"", "REST_ADDRESS 127.0.0.1"),
        (.service, "targetPort: rest", "targetPort: http", "targetPort"),
        (.service, "clusterIP: None", "type: ClusterIP", "headless"),
    ]

    @Test(arguments: 0..<mutations.count)
    func brokenCopyIsCaught(_ index: Int) throws {
        let (file, text, replacement, mention) = Self.mutations[index]
        var texts = try Self.load()
        let range = try #require(texts[file].range(of: text), "\"\(text)\" is not in the manifest: the mutation would change nothing")
        texts[file] = texts[file].replacingCharacters(in: range, with: replacement)
        let found = try Self.problems(texts)
        #expect(found.contains { $0.contains(mention) }, "\(text) -> \(replacement): \(found)")
    }
}
