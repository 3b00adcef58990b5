// Stack traces of common runtimes as RE2 patterns: the lines that continue
// a trace (they join the event before them) and the lines that begin one (a
// trace beginning after another trace's lines is a new event).
#pragma once

#include <string_view>

namespace weir::multiline {

struct Preset {
    std::string_view name;
    std::string_view continue_pattern;
    // Lines at column 0 that begin a trace (empty: the runtime's traces begin
    // with a line that does not continue anything).
    std::string_view start_pattern;
};

inline constexpr Preset kPresets[] = {
    // java.lang.IllegalStateException: boom / \tat com.x.Y.z(Y.java:10) /
    // \t... 12 more / Caused by: ... (also indented, inside a Suppressed:
    // block) / \tSuppressed: ... / ... 5 common frames omitted
    {"java",
     R"(^(\s+at\s|\s+\.\.\. \d+ (more|common frames omitted)|\s*Caused by:|\s+Suppressed:|)"
     R"([a-zA-Z_$][\w$]*(\.[a-zA-Z_$][\w$]*)*\.[\w$]*(Exception|Error|Throwable)(: |$)))",
     R"(^[a-zA-Z_$][\w$]*(\.[a-zA-Z_$][\w$]*)*\.[\w$]*(Exception|Error|Throwable)(: |$))"},
    // Traceback (most recent call last): / two-space indented frames and code /
    // the chained-exception sentences and the blank lines around them / the
    // final "ValueError: message" or "Exception: message"
    {"python",
     R"(^(Traceback \(most recent call last\):|\s+\S|\s*$|During handling of the above exception|)"
     R"(The above exception was the direct cause|([A-Za-z_][\w.]*)?(Error|Exception|Warning|Exit|Interrupt|Iteration)\b))",
     R"(^Traceback \(most recent call last\):)"},
    // panic: ... / goroutine 1 [running]: / main.main() / \t/path/x.go:8 +0x1d /
    // created by ... / exit status 2 / [signal SIGSEGV ...] / blank lines
    {"go", R"(^(\s*$|goroutine \d+ \[|\t|created by |[\w./*()\[\]-]+\(.*\)$|exit status \d+|\[signal ))",
     R"(^(panic: |fatal error: ))"},
    // Error: boom / "    at Object.<anonymous> (/app/x.js:1:7)" / "    ... 2 lines matching
    // cause stack trace ..." / "  [cause]: ..." / indented error properties
    {"node", R"(^(\s+at\s|\s+\.\.\. \d+|\s+\[cause\]|\s+\w+: .*|\s*\}$))", ""},
    // app.rb:3:in `foo': boom (RuntimeError) / "\tfrom app.rb:7:in `<main>'" /
    // Rails: "  app/controllers/x.rb:3:in `index'", gem frames
    // "  actionpack (5.1.4) lib/action_dispatch/x.rb:63:in `call'"
    {"ruby", R"(^(\s+from\s|\s+[\w./-]+:\d+:in\s|\s+[\w.-]+ \([\w.]+\) [\w./-]+:\d+:in\s))", ""},
    // System.InvalidOperationException: boom / "   at Ns.C.M() in /app/C.cs:line 10" /
    // " ---> System.Exception: inner" / "   --- End of inner exception stack trace ---" /
    // "--- End of stack trace from previous location ---"
    {"dotnet",
     R"(^(\s+at\s|\s*---> |\s*--- End of |(Unhandled exception\. )?[A-Za-z_][\w.]*(Exception|Error)(: |$)))",
     R"(^(Unhandled exception\. )?[A-Za-z_][\w.]*\.[\w]*(Exception|Error)(: |$))"},
    // PHP Fatal error:  Uncaught Exception: boom in /x.php:3 / Stack trace: /
    // #0 /x.php(7): foo() / #1 {main} / "  thrown in /x.php on line 3" /
    // PHP Stack trace: / "PHP   1. {main}() /x.php:0" / Next RuntimeException: ...
    {"php", R"(^(Stack trace:|PHP Stack trace:|#\d+ |PHP\s+\d+\. |\s+thrown in |Next [\w\\]+))", ""},
    // Unhandled exception: / FormatException: bad / "#0      main (file:///x.dart:2:7)" /
    // <asynchronous suspension> / ===== asynchronous gap =====
    {"dart", R"(^(#\d+\s+\S|<asynchronous suspension>|=+ asynchronous gap|[A-Za-z_]\w*(Exception|Error)\b))",
     R"(^[A-Za-z_]\w*(Exception|Error)(: |$))"},
};

/// Python's sentences that chain one traceback to the next.
inline constexpr std::string_view kChainPattern =
    R"(^(During handling of the above exception|The above exception was the direct cause))";

inline const Preset* find_preset(std::string_view name) {
    for (const auto& p : kPresets)
        if (p.name == name) return &p;
    return nullptr;
}

}  // namespace weir::multiline
