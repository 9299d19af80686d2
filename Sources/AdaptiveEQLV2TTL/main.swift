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
    usage: adaptive-eq-lv2-ttl BUNDLE_DIR [--binary NAME]
           adaptive-eq-lv2-ttl --markdown BUNDLE_DIR
      BUNDLE_DIR  the assembled bundle: static_terms.tsv and, if the bundle ships one,
                  AdaptiveEQModel.safetensors are read from it (the words are the model's
                  when there is a model); manifest.ttl and adaptive-eq.ttl are written to it
      --binary    plugin library file name inside the bundle (default: adaptive-eq.so)
      --markdown  print the port table as Markdown instead of writing files

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
var dir: String?, binary = "adaptive-eq.so", markdown = false
while !args.isEmpty {
    let a = args.removeFirst()
    switch a {
    case "--binary": binary = args.isEmpty ? binary : args.removeFirst()
    case "--markdown": markdown = true
    case "-h", "--help": print(usage, terminator: ""); exit(0)
    default:
        if a.hasPrefix("-") || dir != nil { fail("unexpected argument '\(a)'\n\(usage)") }
        dir = a
    }
}
guard let dir else { fail("give BUNDLE_DIR\n\(usage)") }
guard let vocabulary = loadVocabulary(bundlePath: dir) else { exit(1) }
let words = vocabulary.words

if markdown {
    print(PluginTTL.markdownPortTable(vocabulary: words), terminator: "")
} else {
    writeFile(dir + "/manifest.ttl", PluginTTL.manifest(binary: binary))
    writeFile(dir + "/" + PluginTTL.pluginFileName, PluginTTL.plugins(vocabulary: words))
}
