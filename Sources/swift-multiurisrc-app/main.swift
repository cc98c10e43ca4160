import CGStreamer
import Glibc

/// swift-multiurisrc-app -c <config>: DeepStream application config files
/// (deepstream-test5 with use-nvmultiurisrcbin=1) run on swiftmultiurisrcbin.
enum ExitCode: Int32 {
    case ok = 0
    /// The pipeline failed while running (an ERROR on the bus, EOS too late).
    case runtime = 1
    case usage = 2
    /// The config file is missing or wrong.
    case config = 3
    /// The pipeline could not be built (missing element or plugin, port in use).
    case build = 4
}

let version = "swift-multiurisrc-app 0.1.0 (DeepStream 9.1 application config files, GStreamer 1.22)"
let usage = """
    Usage: swift-multiurisrc-app -c <config> [options]

    Runs a DeepStream application config (deepstream-test5 style, key-file .txt or YAML
    .yml/.yaml, [source-list] use-nvmultiurisrcbin=1) on swiftmultiurisrcbin: REST control on
    http-ip:http-port, **PERF lines, tiled display, OSD, fake/display/file/RTSP sinks.

    Options:
      -c, --cfg-file <file>  the config file (required)
      -v, --verbose          GStreamer debug output of this app and the plugin (GST_DEBUG wins when set)
      --print-pipeline       print the pipeline the config makes and exit
      -h, --help             this text
      --version              the version

    Quit: q + Enter, Ctrl-C (SIGINT) or SIGTERM (EOS first, so files are whole; twice: at once),
    or POST /api/v1/app/quit.
    Exit codes: 0 ended cleanly; 1 pipeline error while running; 2 bad command line;
    3 config file missing or wrong; 4 pipeline could not be built (element missing, port in use).
    GPU-only groups ([primary-gie], [tracker], ...) are named and stood in for or skipped; a key
    of ours, gst-element=<gst-launch text>, puts an element of your choice in their place.
    """

func fail(_ code: ExitCode, _ message: String) -> Never {
    sayError("** ERROR: \(message)")
    exit(code.rawValue)
}

var configPath: String?
var verbose = false
var printOnly = false
var args = CommandLine.arguments.dropFirst()
while let arg = args.popFirst() {
    switch arg {
    case "-h", "--help": say(usage); exit(0)
    case "--version": say(version); exit(0)
    case "-v", "--verbose": verbose = true
    case "--print-pipeline": printOnly = true
    case "-c", "--cfg-file":
        guard let v = args.popFirst() else { sayError("\(arg) needs a file\n\n\(usage)"); exit(ExitCode.usage.rawValue) }
        configPath = v
    default:
        if arg.hasPrefix("--cfg-file=") { configPath = String(arg.dropFirst("--cfg-file=".count)); continue }
        sayError("unknown option \(arg)\n\n\(usage)")
        exit(ExitCode.usage.rawValue)
    }
}
guard let configPath else { sayError("no config file (-c <file>)\n\n\(usage)"); exit(ExitCode.usage.rawValue) }

let config: AppConfig
do throws(ConfigError) {
    let text = try ConfigFile.read(configPath)
    let doc = ConfigDocument.format(ofPath: configPath) == .yaml
        ? try YamlReader.read(text, file: configPath)
        : try KeyFileReader.read(text, file: configPath)
    config = try AppConfigParser.parse(doc, configDirectory: ConfigFile.directory(of: configPath))
} catch {
    fail(.config, error.description)
}
for w in config.warnings { sayError("** WARN: \(w)") }
let hasDisplay = [getenv("DISPLAY"), getenv("WAYLAND_DISPLAY")].contains { $0.map { $0.pointee != 0 } ?? false }
if !hasDisplay, let display = config.sinks.first(where: { $0.kind == .display }) {
    sayError("** WARN: [\(display.group)] type=2: no display (DISPLAY and WAYLAND_DISPLAY unset): frames go to a fakesink")
}
let plan = PipelinePlan.make(config, hasDisplay: hasDisplay)
if printOnly {
    say(plan.summary)
    exit(0)
}

if verbose, getenv("GST_DEBUG") == nil { setenv("GST_DEBUG", "swift*:5,*:2", 1) }
gst_init(nil, nil)
appLog = AppLog()
let runner = Runner(plan: plan)
do throws(Runner.Failure) {
    try runner.build()
} catch {
    fail(.build, error.description)
}
appLog?.info("pipeline: \(plan.summary)")
let code = runner.run()
say("Quitting")
say(code == 0 ? "App run successful" : "App run failed")
exit(code)
