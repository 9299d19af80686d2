import AdaptiveEQ
import AdaptiveEQLV2

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// adaptive-eq-lv2-ttl: writes manifest.ttl and adaptive-eq.ttl for the bundle, generated
// from the parameter tables and the vocabulary file that ships in the same bundle.

let usage = """
    usage: adaptive-eq-lv2-ttl BUNDLE_DIR [--terms PATH] [--binary NAME]
           adaptive-eq-lv2-ttl --markdown [--terms PATH]
      BUNDLE_DIR  folder to write manifest.ttl and adaptive-eq.ttl into
      --terms     vocabulary file (default: BUNDLE_DIR/static_terms.tsv)
      --binary    plugin library file name inside the bundle (default: adaptive-eq.so)
      --markdown  print the port table as Markdown instead

    """

func fail(_ message: String) -> Never {
    var line = "adaptive-eq-lv2-ttl: error: \(message)\n"
    line.withUTF8 { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
    exit(1)
}

func writeFile(_ path: String, _ text: String) {
    guard let f = fopen(path, "w") else { fail("cannot write \(path)") }
    let ok = fputs(text, f) >= 0
    if fclose(f) != 0 || !ok { fail("cannot write \(path)") }
}

var args = Array(CommandLine.arguments.dropFirst())
var dir: String?, termsPath: String?, binary = "adaptive-eq.so", markdown = false
while !args.isEmpty {
    let a = args.removeFirst()
    switch a {
    case "--terms": termsPath = args.isEmpty ? nil : args.removeFirst()
    case "--binary": binary = args.isEmpty ? binary : args.removeFirst()
    case "--markdown": markdown = true
    case "-h", "--help": print(usage, terminator: ""); exit(0)
    default:
        if a.hasPrefix("-") || dir != nil { fail("unexpected argument '\(a)'\n\(usage)") }
        dir = a
    }
}
guard let path = termsPath ?? dir.map({ $0 + "/" + vocabularyFileName }) else { fail("give BUNDLE_DIR or --terms\n\(usage)") }
guard let text = readTextFile(path) else { fail("cannot read \(path)") }
let table: StaticTermTable
do { table = try StaticTermTable(tsv: text) } catch { fail("\(path): \(error.description)") }
let words = table.terms.map(\.word)

if markdown {
    print(PluginTTL.markdownPortTable(vocabulary: words), terminator: "")
} else if let dir {
    writeFile(dir + "/manifest.ttl", PluginTTL.manifest(binary: binary))
    writeFile(dir + "/" + PluginTTL.pluginFileName, PluginTTL.plugins(vocabulary: words))
} else {
    fail("give BUNDLE_DIR\n\(usage)")
}
