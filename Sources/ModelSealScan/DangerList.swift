/// Globals known to run code, spawn processes, import modules, touch files or the network, or load
/// further pickles: a global on this list makes a file `dangerous`; any other global outside the
/// allowlist only makes it `not-weights-only`. The list is data: one entry per published technique,
/// citing where it was published. The allowlist, not this list, is what keeps files clean.
public struct DangerEntry: Sendable {
    /// `module` (every name in it, and its submodules) or `module.qualname` (that name and its attributes).
    public let pattern: String
    /// What the global can do.
    public let capability: String
    /// The advisory, CVE or writeup the entry comes from.
    public let source: String
    /// True when the callable deserialises further pickles (its bytes arguments are scanned too).
    public let loadsPickles: Bool

    init(_ pattern: String, _ capability: String, _ source: String, loadsPickles: Bool = false) {
        self.pattern = pattern
        self.capability = capability
        self.source = source
        self.loadsPickles = loadsPickles
    }
}

/// The danger list and its lookup.
public enum DangerList {
    static let sourPickles = "Sour Pickles, Marco Slaviero, BlackHat US 2011"
    static let picklescan = "picklescan _unsafe_globals (mmaitre314/picklescan, scanner.py)"
    static let modelscan = "modelscan unsafe_globals (protectai/modelscan, settings.py)"

    /// Every entry; order does not matter.
    public static let entries: [DangerEntry] = [
        // Code execution and import primitives.
        DangerEntry("builtins.eval", "evaluates Python code", sourPickles),
        DangerEntry("builtins.exec", "executes Python code", sourPickles),
        DangerEntry("builtins.compile", "compiles Python code", sourPickles),
        DangerEntry("builtins.__import__", "imports any module", "picklescan tests/data/malicious12.pkl"),
        DangerEntry("builtins.getattr", "reaches any attribute of an object (getattr chains)", sourPickles),
        DangerEntry("builtins.setattr", "overwrites attributes of modules and classes", sourPickles),
        DangerEntry("builtins.delattr", "removes attributes of modules and classes", sourPickles),
        DangerEntry("builtins.globals", "exposes a module's namespace", sourPickles),
        DangerEntry("builtins.locals", "exposes a frame's namespace", sourPickles),
        DangerEntry("builtins.vars", "exposes an object's namespace", sourPickles),
        DangerEntry("builtins.apply", "calls any callable (Python 2)", sourPickles),
        DangerEntry("builtins.open", "opens files", modelscan),
        DangerEntry("builtins.breakpoint", "starts a debugger", modelscan),
        DangerEntry("builtins.input", "reads the terminal", modelscan),
        DangerEntry("builtins.memoryview", "raw memory access", modelscan),
        DangerEntry("types.CodeType", "builds code objects", "picklescan tests/data2/types_CodeType.pkl"),
        DangerEntry(
            "types.FunctionType", "builds functions from code objects", "picklescan tests/data2/types_CodeType.pkl"),
        DangerEntry("code", "interactive interpreter (runs code)", "GHSA-cj3c-v495-4xqh"),
        DangerEntry("codeop", "compiles code", modelscan),
        DangerEntry("runpy", "runs modules and code", "picklescan tests/data/malicious14.pkl"),
        DangerEntry("importlib", "imports any module", modelscan),
        DangerEntry("imp", "imports any module", modelscan),
        DangerEntry("zipimport", "imports code from archives", modelscan),
        DangerEntry("pkgutil", "resolves any name (pkgutil.resolve_name)", "GHSA-vvpj-8cmc-gx39"),
        DangerEntry("pydoc", "locates any object, runs pagers", "GHSA-84r2-jw7c-4r5q; picklescan malicious18.pkl"),
        DangerEntry("operator.attrgetter", "attribute chains on any object", "picklescan tests/data/malicious12.pkl"),
        DangerEntry("operator.methodcaller", "calls any method", "GHSA-84r2-jw7c-4r5q"),
        DangerEntry("_operator.attrgetter", "attribute chains on any object", "GHSA-46h3-79wf-xr6c"),
        DangerEntry("_operator.methodcaller", "calls any method", "GHSA-955r-x9j8-7rhh"),
        DangerEntry("functools.partial", "binds arguments to any callable", "picklescan tests/data/malicious19.pkl"),
        DangerEntry("bdb", "debugger that runs code strings", "picklescan tests/data/malicious15a.pkl"),
        DangerEntry("pdb", "debugger that runs code strings", modelscan),
        DangerEntry("cProfile", "profiler that runs code strings", "GHSA-49gj-c84q-6qm9; GHSA-9w88-8rmg-7g2p"),
        DangerEntry("profile", "profiler that runs code strings", "GHSA-7wx9-6375-f5wh; GHSA-x696-vm39-cp64"),
        DangerEntry("trace", "tracer that runs code strings", "GHSA-5qwp-399c-mjwf; GHSA-g344-hcph-8vgg"),
        DangerEntry("timeit", "runs code strings", "picklescan tests/data2/malicious21.pkl"),
        DangerEntry("doctest", "runs code strings", "GHSA-fqq6-7vqf-w3fg"),
        DangerEntry("idlelib", "IDLE internals that run code strings", "GHSA-8r4j-24qv-fmq9; GHSA-j343-8v2j-ff7w"),
        DangerEntry("lib2to3", "grammar loader that unpickles", "GHSA-f54q-57x4-jg88", loadsPickles: true),
        DangerEntry("_pyrepl", "REPL internals that run pagers", "GHSA-g38g-8gr9-h9xp"),
        DangerEntry("test", "CPython test-suite helpers that run commands", "GHSA-g38g-8gr9-h9xp"),
        DangerEntry("numpy.testing", "runs code strings (runstring)", "picklescan tests/data2/malicious22.pkl"),
        DangerEntry("numpy.f2py", "evaluates expressions (getlincoef)", "GHSA-r8g5-cgf2-4m4m"),
        DangerEntry(
            "cloudpickle", "rebuilds functions from code", "picklescan tests/data2/cloudpickle_codeinjection.pkl"),
        DangerEntry("dill", "rebuilds functions from code, unpickles", modelscan, loadsPickles: true),
        // Processes and the operating system.
        DangerEntry("os", "processes, files, environment", sourPickles),
        DangerEntry("posix", "processes, files, environment", sourPickles),
        DangerEntry("nt", "processes, files, environment", sourPickles),
        DangerEntry("sys", "interpreter state (modules, exit)", "picklescan tests/data/malicious9.pkl"),
        DangerEntry("subprocess", "spawns processes", "picklescan tests/data/malicious8.pkl"),
        DangerEntry("pty", "spawns processes", "GHSA-vqmv-47xg-9wpr"),
        DangerEntry("asyncio", "spawns processes and connections", "GHSA-q77w-mwjj-7mqx; GHSA-jgw4-cr84-mqxg"),
        DangerEntry("multiprocessing", "spawns processes", modelscan),
        DangerEntry("_posixsubprocess", "spawns processes", modelscan),
        DangerEntry("_aix_support", "runs commands", "GHSA-g38g-8gr9-h9xp"),
        DangerEntry("_osx_support", "runs commands", "GHSA-g38g-8gr9-h9xp"),
        DangerEntry("uuid._get_command_stdout", "runs commands", "GHSA-g38g-8gr9-h9xp"),
        DangerEntry("imaplib.IMAP4_stream", "runs commands", "GHSA-g38g-8gr9-h9xp"),
        DangerEntry("webbrowser", "runs a browser", modelscan),
        DangerEntry("pip", "installs packages", "picklescan tests/data/malicious16.pkl"),
        DangerEntry("ensurepip", "runs pip", "GHSA-xp4f-hrf8-rxw7"),
        DangerEntry(
            "venv", "creates environments, runs a shell via the prompt", "picklescan tests/data/malicious20.pkl"),
        DangerEntry("distutils", "writes files, spawns compilers", "GHSA-m273-6v24-x4m4"),
        DangerEntry("setuptools", "writes files, spawns compilers", modelscan),
        DangerEntry("ctypes", "loads native libraries", "GHSA-4675-36f9-wf6r"),
        DangerEntry(
            "_ctypes", "loads native libraries and calls them (dlopen, dlsym, call_function)", "issue 14 class 6"),
        DangerEntry(
            "logging.config", "builds any object from a config ('()' factories), listens on sockets", "issue 14 class 6"
        ),
        DangerEntry("typing._eval_type", "evaluates type-hint strings (eval)", "issue 14 class 6"),
        DangerEntry("typing.ForwardRef", "evaluates its string when resolved (eval)", "issue 14 class 6"),
        DangerEntry("typing.get_type_hints", "evaluates annotation strings (eval)", "issue 14 class 6"),
        DangerEntry("torch.fx.graph_module._forward_from_src", "executes Python source (exec)", "issue 14 class 6"),
        DangerEntry("torch.fx.graph_module._exec_with_source", "executes Python source (exec)", "issue 14 class 6"),
        DangerEntry(
            "torch.fx.graph_module.reduce_graph_module", "rebuilds a module from Python source (exec)",
            "issue 14 class 6"),
        DangerEntry(
            "torch.fx.graph_module._deserialize_graph_module", "rebuilds a module from Python source (exec)",
            "issue 14 class 6"),
        DangerEntry("torch.utils.cpp_extension", "compiles and loads C++ (load_inline, load)", "issue 14 class 6"),
        DangerEntry("signal", "changes process signal handling", modelscan),
        // Files.
        DangerEntry("io.FileIO", "opens files", "picklescan tests/data2/io_FileIO.pkl"),
        DangerEntry("io.open", "opens files", modelscan),
        DangerEntry("_io", "opens files", "picklescan tests/data2/io_FileIO.pkl"),
        DangerEntry("shutil", "copies and removes files", modelscan),
        DangerEntry("gzip.open", "creates or truncates files", "issue 14 class 6"),
        DangerEntry("gzip.GzipFile", "creates or truncates files", "issue 14 class 6"),
        DangerEntry("bz2.open", "creates or truncates files", "issue 14 class 6"),
        DangerEntry("bz2.BZ2File", "creates or truncates files", "issue 14 class 6"),
        DangerEntry("lzma.open", "creates or truncates files", "issue 14 class 6"),
        DangerEntry("lzma.LZMAFile", "creates or truncates files", "issue 14 class 6"),
        DangerEntry("tempfile", "creates files", modelscan),
        DangerEntry("glob", "lists files", modelscan),
        DangerEntry("logging.FileHandler", "creates files", "picklescan tests/data2/logging_FileHandler.pkl"),
        DangerEntry(
            "logging.handlers", "creates files and connections", "picklescan tests/data2/logging_FileHandler.pkl"),
        // Network.
        DangerEntry("socket", "opens connections", "picklescan tests/data/malicious7.pkl"),
        DangerEntry("ssl", "opens connections (DNS exfiltration)", "picklescan tests/data2/dns_exfiltration.npy"),
        DangerEntry("http", "opens connections", "picklescan tests/data/malicious3.pkl"),
        DangerEntry("httplib", "opens connections (Python 2)", "picklescan tests/data/malicious3.pkl"),
        DangerEntry("urllib", "opens connections", "picklescan tests/data2/urllib_request_urlopen.pkl"),
        DangerEntry("urllib2", "opens connections (Python 2)", modelscan),
        DangerEntry("requests", "opens connections", "picklescan tests/data/malicious4.pickle"),
        DangerEntry("aiohttp", "opens connections", "picklescan tests/data/malicious5.pickle"),
        DangerEntry("smtplib", "opens connections", modelscan),
        DangerEntry("ftplib", "opens connections", modelscan),
        DangerEntry("telnetlib", "opens connections", modelscan),
        // Further pickles.
        DangerEntry("pickle", "unpickles more data", "modelscan tests malicious12_gen", loadsPickles: true),
        DangerEntry("_pickle", "unpickles more data", "picklescan tests/data/malicious13b.pkl", loadsPickles: true),
        DangerEntry("cPickle", "unpickles more data (Python 2)", picklescan, loadsPickles: true),
        DangerEntry("marshal", "loads code objects", modelscan),
        DangerEntry("shelve", "unpickles files", modelscan, loadsPickles: true),
        DangerEntry("joblib", "unpickles files", modelscan, loadsPickles: true),
        DangerEntry("numpy.load", "unpickles files with allow_pickle", modelscan, loadsPickles: true),
        DangerEntry(
            "torch.load", "loads further checkpoints (weights_only=False)", "picklescan tests/data/malicious19.pkl"),
        DangerEntry("torch.serialization.load", "loads further checkpoints", "picklescan tests/data/malicious19.pkl"),
        DangerEntry("torch.jit.load", "loads TorchScript code", modelscan),
        // torch internals that run code strings or commands.
        DangerEntry("torch._inductor", "compiles and runs code and commands", "picklescan tests/data/malicious17.pkl"),
        DangerEntry("torch._dynamo", "compiles and runs code", "GHSA-86cj-95qr-2p4f"),
        DangerEntry("torch.fx.experimental.symbolic_shapes", "evaluates guard expressions", "GHSA-f4x7-rfwp-v3xw"),
        DangerEntry("torch.utils.collect_env", "runs commands", "GHSA-f745-w6jp-hpxx; GHSA-jhph-76pp-mggw"),
        DangerEntry(
            "torch.utils._config_module", "loads pickled configuration", "GHSA-vv6j-3g6g-2pvj", loadsPickles: true),
        DangerEntry("torch.utils.data.datapipes", "decoders that unpickle", "GHSA-h3qp-7fh3-f8h4", loadsPickles: true),
        DangerEntry("torch.utils.bottleneck", "profiles code strings", "GHSA-4r9r-ch6f-vxmx; GHSA-4whj-rm5r-c2v8"),
        DangerEntry("torch.testing._internal", "runs code strings", "GHSA-vr7h-p6mm-wpmh"),
        DangerEntry("torch.jit.unsupported_tensor_ops", "execs code strings (execWrapper)", "GHSA-vr7h-p6mm-wpmh"),
        DangerEntry("torch.hub", "downloads and runs code", modelscan),
    ]

    /// Lookup table from pattern to entry.
    static let index: [String: DangerEntry] = Dictionary(
        entries.map { ($0.pattern, $0) }, uniquingKeysWith: { a, _ in a })

    /// The entry matching `module.name`: the longest dotted prefix of the full name (module path
    /// plus the qualified name, so `builtins` `eval.__call__` matches `builtins.eval`).
    public static func match(module: String, name: String) -> DangerEntry? {
        let components = (module + "." + name).split(separator: ".", omittingEmptySubsequences: false)
        var candidate = ""
        var found: DangerEntry?
        for component in components {
            candidate = candidate.isEmpty ? String(component) : candidate + "." + component
            if let entry = index[candidate] { found = entry }
        }
        return found
    }

    /// Attribute names that pivot from an allowed object to anything (`__builtins__`, `__globals__`, …):
    /// a qualified name that walks through a dunder attribute is never data.
    public static func pivotsThroughDunder(name: String) -> Bool {
        let parts = name.split(separator: ".")
        guard parts.count > 1 else { return false }
        return parts.dropFirst().contains { $0.hasPrefix("__") } || parts.first.map { $0.hasPrefix("__") } == true
    }
}
