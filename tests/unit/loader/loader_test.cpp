#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <weir/loader/registry.hpp>

namespace fs = std::filesystem;
using weir::loader::Registry;

namespace {

const std::string kFixtures = WEIR_FIXTURES;

/// A private folder holding copies of chosen fixture files.
class PluginDir {
public:
    PluginDir() {
        char tmpl[] = "/tmp/weir-loader-test-XXXXXX";
        path_ = ::mkdtemp(tmpl);
    }
    ~PluginDir() { fs::remove_all(path_); }
    std::string add(const std::string& fixture, const std::string& as = {}) {
        const fs::path src = fs::path(kFixtures) / fixture;
        const fs::path dst = fs::path(path_) / (as.empty() ? src.filename().string() : as);
        // Install by rename, as users should: never overwrite a mapped file.
        const fs::path tmp = dst.string() + ".tmp";
        fs::copy_file(src, tmp, fs::copy_options::overwrite_existing);
        fs::rename(tmp, dst);
        return dst.string();
    }
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

std::string only_refusal(const Registry& r) {
    EXPECT_EQ(r.refusals().size(), 1u);
    EXPECT_TRUE(r.plugins().empty());
    if (r.refusals().empty()) return {};
    const std::string& m = r.refusals()[0].message;
    EXPECT_EQ(m.find('\n'), std::string::npos) << "one line: " << m;
    return m;
}

std::string refusal_for(const std::string& fixture) {
    PluginDir dir;
    const std::string file = dir.add(fixture);
    const std::string m = only_refusal(Registry::scan({dir.path()}));
    EXPECT_EQ(m.rfind(file + ": refused: ", 0), 0u) << m;
    return m;
}

}  // namespace

TEST(Loader, GoodPluginLoadsWithItsDescriptor) {
    PluginDir dir;
    dir.add("good/fixture_ok.so");
    const Registry r = Registry::scan({dir.path()});
    ASSERT_TRUE(r.refusals().empty()) << r.refusals()[0].message;
    const auto* h = r.find(WEIR_KIND_PARSER, "fixture_ok");
    ASSERT_NE(h, nullptr);
    EXPECT_STREQ(h->descriptor->version, "1.0.0");
    EXPECT_EQ(h->descriptor->abi_version, WEIR_ABI_VERSION);
    EXPECT_EQ(r.find(WEIR_KIND_INPUT, "fixture_ok"), nullptr);
    EXPECT_EQ(r.names(WEIR_KIND_PARSER), std::vector<std::string>{"fixture_ok"});
}

TEST(Loader, RefusesWrongAbiBeforeLoading) {
    const std::string m = refusal_for("broken/wrong_abi.so");
    EXPECT_NE(m.find("plugin ABI version 99, this weir speaks ABI 1"), std::string::npos) << m;
}

TEST(Loader, RefusesTooSmallMarker) {
    const std::string m = refusal_for("broken/marker_too_small.so");
    EXPECT_NE(m.find("marker declares 8 bytes, expected at least 16"), std::string::npos) << m;
}

TEST(Loader, RefusesFileWithoutMarker) {
    EXPECT_NE(refusal_for("broken/no_marker.so").find("not a Weir plugin: no .weir_plugin section"),
              std::string::npos);
}

TEST(Loader, RefusesMissingEntrySymbol) {
    EXPECT_NE(refusal_for("broken/no_entry.so").find("no entry symbol 'weir_plugin_entry'"),
              std::string::npos);
}

TEST(Loader, RefusesNullDescriptor) {
    EXPECT_NE(refusal_for("broken/null_entry.so").find("returned no descriptor for ABI 1"),
              std::string::npos);
}

TEST(Loader, RefusesTooSmallDescriptor) {
    const std::string m = refusal_for("broken/small_descriptor.so");
    EXPECT_NE(m.find("descriptor is 16 bytes, expected at least " + std::to_string(WEIR_DESCRIPTOR_MIN_SIZE)),
              std::string::npos)
        << m;
}

TEST(Loader, DescriptorOfTheFirstLayoutStillLoads) {
    // Built before the descriptor grew `reload`: the host must not read past its struct_size.
    PluginDir dir;
    dir.add("older/first_layout.so");
    const Registry r = Registry::scan({dir.path()});
    ASSERT_TRUE(r.refusals().empty()) << r.refusals()[0].message;
    ASSERT_NE(r.find(WEIR_KIND_PARSER, "raw_fixture"), nullptr);
    EXPECT_EQ(r.find(WEIR_KIND_PARSER, "raw_fixture")->descriptor->struct_size, WEIR_DESCRIPTOR_MIN_SIZE);
}

TEST(Loader, RefusesUnknownKind) {
    EXPECT_NE(refusal_for("broken/bad_kind.so").find("unknown plugin kind 9"), std::string::npos);
}

TEST(Loader, RefusesNonElfFile) {
    const std::string m = refusal_for("broken/not_elf.so");
    EXPECT_NE(m.find("not an ELF shared object (found bytes 'hell')"), std::string::npos) << m;
}

TEST(Loader, RefusesUnresolvedSymbolWithDlerror) {
    const std::string m = refusal_for("broken/missing_symbol.so");
    EXPECT_NE(m.find("cannot load:"), std::string::npos) << m;
    EXPECT_NE(m.find("weir_fixture_function_that_does_not_exist"), std::string::npos) << m;
}

TEST(Loader, RefusesDuplicateNameNamingTheOtherFile) {
    PluginDir dir;
    const std::string first = dir.add("dup/a_first.so");
    const std::string second = dir.add("dup/b_second.so");
    const Registry r = Registry::scan({dir.path()});
    ASSERT_EQ(r.plugins().size(), 1u);
    EXPECT_EQ(r.plugins()[0].path, first);
    ASSERT_EQ(r.refusals().size(), 1u);
    EXPECT_EQ(r.refusals()[0].message,
              second + ": refused: duplicate parser 'fixture_ok': already provided by " + first);
}

TEST(Loader, BrokenFilesDoNotStopTheScan) {
    PluginDir dir;
    for (const char* f :
         {"broken/wrong_abi.so", "broken/not_elf.so", "broken/no_entry.so", "good/fixture_ok.so"})
        dir.add(f);
    std::ofstream(fs::path(dir.path()) / "README.txt") << "ignored";
    const Registry r = Registry::scan({dir.path(), "/nonexistent/weir-plugins"});
    EXPECT_NE(r.find(WEIR_KIND_PARSER, "fixture_ok"), nullptr);
    ASSERT_EQ(r.refusals().size(), 4u);  // three files and the missing folder
    EXPECT_EQ(r.refusals()[3].message, "/nonexistent/weir-plugins: plugin directory does not exist");
}

TEST(Loader, RescanReusesUnchangedLibraries) {
    PluginDir dir;
    dir.add("good/fixture_ok.so");
    const Registry first = Registry::scan({dir.path()});
    const Registry second = Registry::scan({dir.path()}, &first);
    ASSERT_EQ(second.plugins().size(), 1u);
    EXPECT_EQ(first.plugins()[0].library.get(), second.plugins()[0].library.get());
    EXPECT_EQ(first.plugins()[0].identity(), second.plugins()[0].identity());
}

TEST(Loader, ReplacedFileIsLoadedFreshWhileOldHandleStillWorks) {
    PluginDir dir;
    dir.add("good/fixture_ok.so");
    auto first = std::make_unique<Registry>(Registry::scan({dir.path()}));
    const weir_plugin_descriptor* old_desc = first->plugins()[0].descriptor;
    auto old_library = first->plugins()[0].library;  // as an instance would hold it
    dir.add("v2/fixture_ok.so", "fixture_ok.so");    // replaced by rename: new inode
    const Registry second = Registry::scan({dir.path()}, first.get());
    ASSERT_EQ(second.plugins().size(), 1u) << (second.refusals().empty() ? "" : second.refusals()[0].message);
    EXPECT_STREQ(second.plugins()[0].descriptor->version, "2.0.0");
    EXPECT_NE(second.plugins()[0].library.get(), old_library.get());
    EXPECT_NE(first->plugins()[0].identity(), second.plugins()[0].identity());
    first.reset();  // the old registry is gone; the old library stays mapped through its handle
    EXPECT_STREQ(old_desc->version, "1.0.0");
    EXPECT_STREQ(old_desc->name, "fixture_ok");
}

TEST(Loader, HandleKeepsLibraryAliveAfterRegistryIsGone) {
    PluginDir dir;
    dir.add("good/fixture_ok.so");
    weir::loader::PluginHandle handle;
    {
        const Registry r = Registry::scan({dir.path()});
        handle = r.plugins()[0];
    }
    // Calling through the descriptor would crash if the library were unmapped.
    char err[128] = {0};
    void* self = nullptr;
    EXPECT_EQ(handle.descriptor->create(nullptr, nullptr, nullptr, &self, err, sizeof err), WEIR_ERROR);
    EXPECT_STREQ(err, "no host table");
}

TEST(Loader, ProbeReadsTheMarkerWithoutLoading) {
    weir_plugin_marker m{};
    EXPECT_EQ(weir::loader::probe_file(kFixtures + "/good/fixture_ok.so", &m), "");
    EXPECT_EQ(m.abi_version, WEIR_ABI_VERSION);
    EXPECT_EQ(m.struct_size, sizeof(weir_plugin_marker));
    EXPECT_EQ(weir::loader::probe_file("/nonexistent.so"), "cannot open the file");
}
