// Continuation patterns (RE2) of the stack traces of common runtimes. A line
// matching one belongs to the event before it.
#pragma once

#include <string_view>

namespace weir::multiline {

struct Preset {
    std::string_view name;
    std::string_view continue_pattern;
};

inline constexpr Preset kPresets[] = {
    // java.lang.IllegalStateException: boom / \tat com.x.Y.z(Y.java:10) /
    // \t... 12 more / Caused by: ... / \tSuppressed: ... / ... 5 common frames omitted
    {"java",
     R"(^(\s+at\s|\s+\.\.\. \d+ (more|common frames omitted)|Caused by:|\s+Suppressed:|)"
     R"([a-zA-Z_$][\w$]*(\.[a-zA-Z_$][\w$]*)*\.[\w$]*(Exception|Error|Throwable)(: |$)))"},
    // Traceback (most recent call last): / two-space indented frames and code /
    // the chained-exception sentences and the blank lines around them / the
    // final "ValueError: message"
    {"python",
     R"(^(Traceback \(most recent call last\):|\s+\S|\s*$|During handling of the above exception|)"
     R"(The above exception was the direct cause|[A-Za-z_][\w.]*(Error|Exception|Warning|Exit|Interrupt|Iteration)\b))"},
    // panic: ... / goroutine 1 [running]: / main.main() / \t/path/x.go:8 +0x1d /
    // created by ... / exit status 2 / [signal SIGSEGV ...] / blank lines
    {"go",
     R"(^(\s*$|goroutine \d+ \[|\t|created by |[\w./*()\[\]-]+\(.*\)$|exit status \d+|\[signal ))"},
    // Error: boom / "    at Object.<anonymous> (/app/x.js:1:7)" / "    ... 2 lines matching
    // cause stack trace ..." / "  [cause]: ..." / indented error properties
    {"node", R"(^(\s+at\s|\s+\.\.\. \d+|\s+\[cause\]|\s+\w+: .*|\s*\}$))"},
    // app.rb:3:in `foo': boom (RuntimeError) / "\tfrom app.rb:7:in `<main>'" /
    // Rails: "  app/controllers/x.rb:3:in `index'"
    {"ruby", R"(^(\s+from\s|\s+[\w./-]+:\d+:in\s))"},
};

inline const Preset* find_preset(std::string_view name) {
    for (const auto& p : kPresets)
        if (p.name == name) return &p;
    return nullptr;
}

}  // namespace weir::multiline
