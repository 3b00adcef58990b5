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
    // Layouts that write one record on two lines or more: an event whose
    // first line matches `header_pattern` takes the lines matching
    // `body_pattern` after it (at most `body_lines` of them; 0: any number).
    // `looks_like_header` is a cheap first look before the pattern.
    std::string_view header_pattern = {};
    std::string_view body_pattern = {};
    size_t body_lines = 0;
    bool (*looks_like_header)(std::string_view) = nullptr;
    // Whether a line may match `continue_pattern` at all, from its first byte:
    // most log lines begin with a digit (a timestamp) that none of these
    // runtimes' continuation lines begin with, and skip the pattern (nullptr:
    // always try it).
    bool (*may_continue)(std::string_view) = nullptr;
};

namespace first {
constexpr bool letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
constexpr bool blank(char c) { return c == ' ' || c == '\t'; }
/// Indented lines, identifiers (exception names, "Caused by:") and '$' (Java's inner classes).
constexpr bool java(std::string_view s) { return !s.empty() && (blank(s[0]) || letter(s[0]) || s[0] == '$'); }
/// Also blank lines, which Python's tracebacks contain.
constexpr bool python(std::string_view s) { return s.empty() || blank(s[0]) || letter(s[0]) || s[0] == '\r'; }
constexpr bool indented(std::string_view s) { return !s.empty() && (blank(s[0]) || s[0] == '}'); }
constexpr bool dotnet(std::string_view s) {
    return !s.empty() && (blank(s[0]) || letter(s[0]) || s[0] == '-');
}
constexpr bool php(std::string_view s) { return !s.empty() && (blank(s[0]) || letter(s[0]) || s[0] == '#'); }
constexpr bool dart(std::string_view s) {
    return !s.empty() && (letter(s[0]) || s[0] == '#' || s[0] == '<' || s[0] == '=');
}
}  // namespace first

/// java.util.logging's SimpleFormatter: "Oct 11, 2023 10:14:36 PM org.example.Foo bar".
constexpr bool jul_header(std::string_view s) {
    return s.size() > 22 && s[0] >= 'A' && s[0] <= 'Z' && s[3] == ' ' && (s[5] == ',' || s[6] == ',');
}

/// .NET's console logger: "info: Microsoft.Hosting.Lifetime[14]".
constexpr bool dotnet_header(std::string_view s) {
    return s.size() > 8 && s[4] == ':' && s[5] == ' ' && s[0] >= 'a' && s[0] <= 'z' && s.back() == ']';
}

inline constexpr Preset kPresets[] = {
    // java.lang.IllegalStateException: boom / \tat com.x.Y.z(Y.java:10) /
    // \t... 12 more / Caused by: ... (also indented, inside a Suppressed:
    // block) / \tSuppressed: ... / ... 5 common frames omitted
    // The JVM's own 'Exception in thread "main" java.lang.X: boom' for an
    // uncaught exception begins a trace and never continues a log line.
    // java.util.logging's SimpleFormatter writes a record on two lines:
    // "Oct 11, 2023 10:14:36 PM org.example.Foo bar" / "INFO: message".
    {"java",
     R"(^(\s+at\s|\s+\.\.\. \d+ (more|common frames omitted)|\s*Caused by:|\s+Suppressed:|)"
     R"([a-zA-Z_$][\w$]*(\.[a-zA-Z_$][\w$]*)*\.[\w$]*(Exception|Error|Throwable)(: |$)))",
     R"(^(Exception in thread "[^"]*" )?[a-zA-Z_$][\w$]*(\.[a-zA-Z_$][\w$]*)*\.[\w$]*(Exception|Error|Throwable)(: |$))",
     R"(^[A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d{2}:\d{2} [AP]M \S)",
     R"(^(SEVERE|WARNING|INFO|CONFIG|FINE|FINER|FINEST): )", 1, jul_header, first::java},
    // Traceback (most recent call last): / two-space indented frames and code /
    // the chained-exception sentences and the blank lines around them / the
    // final "ValueError: message" or "Exception: message"
    {"python",
     R"(^(Traceback \(most recent call last\):|\s+\S|\s*$|During handling of the above exception|)"
     R"(The above exception was the direct cause|([A-Za-z_][\w.]*)?(Error|Exception|Warning|Exit|Interrupt|Iteration)(:|$)))",
     R"(^Traceback \(most recent call last\):)",
     {},
     {},
     0,
     nullptr,
     first::python},
    // panic: ... / goroutine 1 [running]: / main.main() / \t/path/x.go:8 +0x1d /
    // created by ... / exit status 2 / [signal SIGSEGV ...] / blank lines
    {"go", R"(^(\s*$|goroutine \d+ \[|\t|created by |[\w./*()\[\]-]+\(.*\)$|exit status \d+|\[signal ))",
     R"(^(panic: |fatal error: ))"},
    // Error: boom / "    at Object.<anonymous> (/app/x.js:1:7)" / "    ... 2 lines matching
    // cause stack trace ..." / "  [cause]: ..." / indented error properties
    {"node",
     R"(^(\s+at\s|\s+\.\.\. \d+|\s+\[cause\]|\s+\w+: .*|\s*\}$))",
     "",
     {},
     {},
     0,
     nullptr,
     first::indented},
    // app.rb:3:in `foo': boom (RuntimeError) / "\tfrom app.rb:7:in `<main>'" /
    // Rails: "  app/controllers/x.rb:3:in `index'", gem frames
    // "  actionpack (5.1.4) lib/action_dispatch/x.rb:63:in `call'"
    {"ruby",
     R"(^(\s+from\s|\s+[\w./-]+:\d+:in\s|\s+[\w.-]+ \([\w.]+\) [\w./-]+:\d+:in\s))",
     "",
     {},
     {},
     0,
     nullptr,
     first::indented},
    // System.InvalidOperationException: boom / "   at Ns.C.M() in /app/C.cs:line 10" /
    // " ---> System.Exception: inner" / "   --- End of inner exception stack trace ---" /
    // "--- End of stack trace from previous location ---"
    // The console logger writes "info: Microsoft.Hosting.Lifetime[14]" and the
    // message (and an exception) on the lines after it, indented by 6 spaces.
    {"dotnet",
     R"(^(\s+at\s|\s*---> |\s*--- End of |(Unhandled exception\. )?[A-Za-z_][\w.]*(Exception|Error)(: |$)))",
     R"(^(Unhandled exception\. )?[A-Za-z_][\w.]*\.[\w]*(Exception|Error)(: |$))",
     R"(^(trce|dbug|info|warn|fail|crit): \S+\[-?\d+\]$)", R"(^      )", 0, dotnet_header, first::dotnet},
    // PHP Fatal error:  Uncaught Exception: boom in /x.php:3 / Stack trace: /
    // #0 /x.php(7): foo() / #1 {main} / "  thrown in /x.php on line 3" /
    // PHP Stack trace: / "PHP   1. {main}() /x.php:0" / Next RuntimeException: ...
    {"php",
     R"(^(Stack trace:|PHP Stack trace:|#\d+ |PHP\s+\d+\. |\s+thrown in |Next [\w\\]+))",
     "",
     {},
     {},
     0,
     nullptr,
     first::php},
    // Unhandled exception: / FormatException: bad / "#0      main (file:///x.dart:2:7)" /
    // <asynchronous suspension> / ===== asynchronous gap =====
    {"dart",
     R"(^(#\d+\s+\S|<asynchronous suspension>|=+ asynchronous gap|[A-Za-z_]\w*(Exception|Error)\b))",
     R"(^[A-Za-z_]\w*(Exception|Error)(: |$))",
     {},
     {},
     0,
     nullptr,
     first::dart},
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
