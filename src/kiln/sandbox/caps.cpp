#include "kiln/sandbox/caps.hpp"

#include <sys/prctl.h>

#include <algorithm>
#include <array>

#include "kiln/base/strings.hpp"

namespace kiln::sandbox {

namespace {

// Index = capability number (linux/capability.h).
constexpr std::array<std::string_view, 41> k_names = {"CHOWN",
                                                      "DAC_OVERRIDE",
                                                      "DAC_READ_SEARCH",
                                                      "FOWNER",
                                                      "FSETID",
                                                      "KILL",
                                                      "SETGID",
                                                      "SETUID",
                                                      "SETPCAP",
                                                      "LINUX_IMMUTABLE",
                                                      "NET_BIND_SERVICE",
                                                      "NET_BROADCAST",
                                                      "NET_ADMIN",
                                                      "NET_RAW",
                                                      "IPC_LOCK",
                                                      "IPC_OWNER",
                                                      "SYS_MODULE",
                                                      "SYS_RAWIO",
                                                      "SYS_CHROOT",
                                                      "SYS_PTRACE",
                                                      "SYS_PACCT",
                                                      "SYS_ADMIN",
                                                      "SYS_BOOT",
                                                      "SYS_NICE",
                                                      "SYS_RESOURCE",
                                                      "SYS_TIME",
                                                      "SYS_TTY_CONFIG",
                                                      "MKNOD",
                                                      "LEASE",
                                                      "AUDIT_WRITE",
                                                      "AUDIT_CONTROL",
                                                      "SETFCAP",
                                                      "MAC_OVERRIDE",
                                                      "MAC_ADMIN",
                                                      "SYSLOG",
                                                      "WAKE_ALARM",
                                                      "BLOCK_SUSPEND",
                                                      "AUDIT_READ",
                                                      "PERFMON",
                                                      "BPF",
                                                      "CHECKPOINT_RESTORE"};

std::string normalise(std::string_view name) {
  std::string n;
  for (char c : name) n += static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
  if (n.starts_with("CAP_")) n = n.substr(4);
  return n;
}

}  // namespace

Result<int> capability_number(std::string_view name) {
  std::string n = normalise(name);
  for (size_t i = 0; i < k_names.size(); ++i)
    if (k_names[i] == n) return static_cast<int>(i);
  return failf(Errc::invalid_argument, "unknown capability {:?}", std::string(name));
}

std::string capability_name(int number) {
  if (number < 0 || number >= static_cast<int>(k_names.size()))
    return fmt::format("CAP_{}", number);
  return "CAP_" + std::string(k_names[static_cast<size_t>(number)]);
}

int last_capability() {
  int last = static_cast<int>(k_names.size()) - 1;
  // Capabilities the running kernel does not have cannot be kept or dropped.
  while (last > 0 && prctl(PR_CAPBSET_READ, last, 0, 0, 0) < 0) --last;
  return last;
}

std::vector<std::string> default_capabilities() {
  return {"CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
          "CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
          "CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
          "CAP_KILL",    "CAP_AUDIT_WRITE"};
}

Result<std::vector<std::string>> adjust_capabilities(const std::vector<std::string>& add,
                                                     const std::vector<std::string>& drop) {
  auto has_all = [](const std::vector<std::string>& v) {
    return std::any_of(v.begin(), v.end(),
                       [](const std::string& s) { return normalise(s) == "ALL"; });
  };
  std::vector<std::string> set;
  if (has_all(add)) {
    for (int i = 0; i <= last_capability(); ++i) set.push_back(capability_name(i));
  } else if (!has_all(drop)) {
    set = default_capabilities();
  }
  auto contains = [&](const std::string& n) {
    return std::find(set.begin(), set.end(), n) != set.end();
  };
  if (!has_all(add))
    for (const auto& a : add) {
      int n = KILN_TRY_CTX(capability_number(a), "--cap-add");
      if (!contains(capability_name(n))) set.push_back(capability_name(n));
    }
  for (const auto& d : drop) {
    if (normalise(d) == "ALL") continue;
    int n = KILN_TRY_CTX(capability_number(d), "--cap-drop");
    std::erase(set, capability_name(n));
  }
  return set;
}

Result<uint64_t> capability_mask(const std::vector<std::string>& names) {
  uint64_t mask = 0;
  for (const auto& n : names) mask |= uint64_t{1} << KILN_TRY(capability_number(n));
  return mask;
}

}  // namespace kiln::sandbox
