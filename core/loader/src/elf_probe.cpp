#include <elf.h>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>
#include <weir/loader/registry.hpp>

namespace weir::loader {
namespace {

#if defined(__x86_64__)
constexpr uint16_t kMachine = EM_X86_64;
#elif defined(__aarch64__)
constexpr uint16_t kMachine = EM_AARCH64;
#else
constexpr uint16_t kMachine = 0;
#endif

std::string printable(const char* p, size_t n) {
    std::string s;
    for (size_t i = 0; i < n; ++i) {
        const auto c = static_cast<unsigned char>(p[i]);
        if (c >= 0x20 && c < 0x7f && c != '\'') {
            s.push_back(static_cast<char>(c));
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", c);
            s += buf;
        }
    }
    return s;
}

bool read_at(std::ifstream& f, uint64_t off, void* dst, size_t n, uint64_t file_size) {
    if (off > file_size || n > file_size - off) return false;
    f.seekg(static_cast<std::streamoff>(off));
    f.read(static_cast<char*>(dst), static_cast<std::streamsize>(n));
    return static_cast<size_t>(f.gcount()) == n;
}

}  // namespace

std::string probe_file(const std::string& path, weir_plugin_marker* out) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return "cannot open the file";
    f.seekg(0, std::ios::end);
    const auto file_size = static_cast<uint64_t>(f.tellg());
    f.seekg(0);
    Elf64_Ehdr eh{};
    char head[4] = {0, 0, 0, 0};
    const size_t head_n = static_cast<size_t>(std::min<uint64_t>(4, file_size));
    read_at(f, 0, head, head_n, file_size);
    if (file_size < 4 || std::memcmp(head, ELFMAG, SELFMAG) != 0)
        return "not an ELF shared object (found bytes '" + printable(head, head_n) + "')";
    if (!read_at(f, 0, &eh, sizeof eh, file_size)) return "not an ELF shared object (truncated header)";
    if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
        return "not a 64-bit little-endian ELF file";
    if (eh.e_type != ET_DYN) return "not an ELF shared object (ELF type " + std::to_string(eh.e_type) + ")";
    if (kMachine && eh.e_machine != kMachine)
        return "built for another machine (ELF machine " + std::to_string(eh.e_machine) + ", this is " +
               std::to_string(kMachine) + ")";
    if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0 || eh.e_shstrndx >= eh.e_shnum)
        return "not a Weir plugin: no section table";
    std::vector<Elf64_Shdr> sections(eh.e_shnum);
    if (!read_at(f, eh.e_shoff, sections.data(), sections.size() * sizeof(Elf64_Shdr), file_size))
        return "not a Weir plugin: truncated section table";
    const Elf64_Shdr& strtab = sections[eh.e_shstrndx];
    if (strtab.sh_size > (1u << 20)) return "not a Weir plugin: section names too large";
    std::string names(strtab.sh_size, '\0');
    if (!read_at(f, strtab.sh_offset, names.data(), names.size(), file_size))
        return "not a Weir plugin: truncated section names";
    for (const auto& s : sections) {
        if (s.sh_name >= names.size()) continue;
        if (std::strcmp(names.c_str() + s.sh_name, WEIR_MARKER_SECTION) != 0) continue;
        weir_plugin_marker m{};
        const size_t min_size = offsetof(weir_plugin_marker, struct_size) + sizeof(uint32_t);
        if (s.sh_size < min_size)
            return "the .weir_plugin marker is " + std::to_string(s.sh_size) + " bytes, expected at least " +
                   std::to_string(sizeof(weir_plugin_marker));
        if (!read_at(f, s.sh_offset, &m, min_size, file_size)) return "truncated .weir_plugin marker";
        if (std::memcmp(m.magic, WEIR_MARKER_MAGIC, sizeof(WEIR_MARKER_MAGIC)) != 0)
            return "bad .weir_plugin marker (expected magic '" WEIR_MARKER_MAGIC "', found '" +
                   printable(m.magic, 7) + "')";
        if (m.struct_size < sizeof(weir_plugin_marker))
            return "the .weir_plugin marker declares " + std::to_string(m.struct_size) +
                   " bytes, expected at least " + std::to_string(sizeof(weir_plugin_marker));
        if (m.abi_version != WEIR_ABI_VERSION)
            return "plugin ABI version " + std::to_string(m.abi_version) + ", this weir speaks ABI " +
                   std::to_string(WEIR_ABI_VERSION);
        if (out) *out = m;
        return {};
    }
    return "not a Weir plugin: no " WEIR_MARKER_SECTION
           " section (build it with <weir/sdk.hpp> and WEIR_PLUGIN)";
}

}  // namespace weir::loader
